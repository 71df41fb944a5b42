/// Runs a ``KeyedProcessFunction``: scopes state to each record's key and fires its timers.
@usableFromInline final class KeyedProcessOperator<Function: KeyedProcessFunction>: OneOutputOperator {
    @usableFromInline typealias Input = Function.Input
    @usableFromInline let output: Weir.Output<Function.Output>
    @usableFromInline let makeFunction: @Sendable () -> Function
    @usableFromInline let keySelector: @Sendable (Function.Input) -> Function.Key
    @usableFromInline var function: Function!
    @usableFromInline var context: KeyedProcessContext<Function.Key, Function.Output>!
    @usableFromInline var keyContext: KeyContext<Function.Key>!

    @inlinable init(output: Weir.Output<Function.Output>, keySelector: @escaping @Sendable (Function.Input) -> Function.Key, makeFunction: @escaping @Sendable () -> Function) {
        self.keySelector = keySelector
        self.makeFunction = makeFunction
        self.output = output
    }

    @inlinable func open(_ operatorContext: OperatorContext) throws {
        let location = operatorContext.location
        keyContext = KeyContext(maxParallelism: operatorContext.maxParallelism)
        let store = try operatorContext.keyedStateStore()
        context = KeyedProcessContext(output: output, operatorContext: operatorContext, keyContext: keyContext)
        try operatorContext.register(context.eventTimers, named: "event-timers")
        try operatorContext.register(context.processingTimers, named: "processing-timers")
        function = makeFunction()
        try function.open(KeyedRuntimeContext(store: store, keyContext: keyContext, subtask: location.subtask, parallelism: location.parallelism))
    }

    @inlinable func processRecord(_ value: Function.Input, timestamp: Int64) throws {
        keyContext.set(keySelector(value))
        context.currentTimestamp = timestamp
        try function.processElement(value, context: context)
    }

    @inlinable func processWatermark(_ watermark: Watermark) throws {
        context.watermark = watermark
        while let timer = context.eventTimers.popDue(at: watermark.timestamp) {
            try fire(timer, domain: .eventTime)
        }
        try output.emitWatermark(watermark)
    }

    @inlinable func advanceProcessingTime(to now: Int64) throws {
        while let timer = context.processingTimers.popDue(at: now) {
            try fire(timer, domain: .processingTime)
        }
        try output.advanceProcessingTime(to: now)
    }

    @inlinable func fire(_ timer: Timer<Function.Key, NoNamespace>, domain: TimeDomain) throws {
        keyContext.set(timer.key)
        context.currentTimestamp = timer.timestamp
        try function.onTimer(timer.timestamp, domain: domain, context: context)
    }
}
