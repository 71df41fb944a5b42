/// Runs a ``KeyedProcessFunction``: scopes state to each record's key and fires its timers.
final class KeyedProcessOperator<Function: KeyedProcessFunction>: OneOutputOperator {
    typealias Input = Function.Input
    let output: Weir.Output<Function.Output>
    private let makeFunction: @Sendable () -> Function
    private let keySelector: @Sendable (Function.Input) -> Function.Key
    private var function: Function!
    private var context: KeyedProcessContext<Function.Key, Function.Output>!
    private var keyContext: KeyContext<Function.Key>!

    init(output: Weir.Output<Function.Output>, keySelector: @escaping @Sendable (Function.Input) -> Function.Key, makeFunction: @escaping @Sendable () -> Function) {
        self.keySelector = keySelector
        self.makeFunction = makeFunction
        self.output = output
    }

    func open(_ operatorContext: OperatorContext) throws {
        let location = operatorContext.location
        keyContext = KeyContext(maxParallelism: operatorContext.maxParallelism)
        let store = operatorContext.keyedStateStore()
        context = KeyedProcessContext(output: output, operatorContext: operatorContext, keyContext: keyContext)
        try context.eventTimers.restore(operatorContext.takeRestoredPart("event-timers"))
        try context.processingTimers.restore(operatorContext.takeRestoredPart("processing-timers"))
        function = makeFunction()
        try function.open(KeyedRuntimeContext(store: store, keyContext: keyContext, subtask: location.subtask, parallelism: location.parallelism))
    }

    func snapshotExtras(checkpointID: Int64, maxParallelism: Int) throws -> OperatorExtras {
        OperatorExtras(keyed: ["event-timers": context.eventTimers.snapshot(maxParallelism: maxParallelism),
                               "processing-timers": context.processingTimers.snapshot(maxParallelism: maxParallelism)])
    }

    func processRecord(_ value: Function.Input, timestamp: Int64) throws {
        keyContext.set(keySelector(value))
        context.timestamp = timestamp
        try function.processElement(value, context: context)
    }

    func processWatermark(_ watermark: Watermark) throws {
        context.currentWatermark = watermark
        while let timer = context.eventTimers.popDue(at: watermark.timestamp) {
            try fire(timer, domain: .eventTime)
        }
        try output.emitWatermark(watermark)
    }

    func advanceProcessingTime(to now: Int64) throws {
        while let timer = context.processingTimers.popDue(at: now) {
            try fire(timer, domain: .processingTime)
        }
        try output.advanceProcessingTime(to: now)
    }

    private func fire(_ timer: Timer<Function.Key, NoNamespace>, domain: TimeDomain) throws {
        keyContext.set(timer.key)
        context.timestamp = timer.timestamp
        try function.onTimer(timer.timestamp, domain: domain, context: context)
    }
}
