import Dispatch
import Foundation

/// Runs an ``ExecutionPlan`` in this process: one thread per task subtask, channels between
/// them, and failure handling — the first error of any task cancels every other task (waking
/// all waits), and once every thread has stopped the run ends with that error.
final class JobExecutor: @unchecked Sendable {
    private let plan: ExecutionPlan
    private let configuration: RuntimeConfiguration
    private let stateBackend: any StateBackend
    private let control = JobControl()
    private let lock = NSLock()
    private var firstError: (any Error)?
    /// Input gates of head nodes, by node and subtask.
    private var gates: [Int: [ErasedObject]] = [:]
    private var cancelGates: [@Sendable () -> Void] = []

    init(plan: ExecutionPlan, configuration: RuntimeConfiguration, stateBackend: any StateBackend) {
        self.plan = plan
        self.configuration = configuration
        self.stateBackend = stateBackend
    }

    /// Runs the job to its end; throws the error that failed it.
    func run() throws {
        for (node, channels) in plan.channelCounts {
            guard case .transformation(let transformation) = plan.nodes[node].kind else { continue }
            gates[node] = (0..<plan.nodes[node].parallelism).map { _ in
                transformation.makeGate(channels, configuration.channelCapacity)
            }
        }
        for gate in gates.values.joined() {
            let cancel = (gate.object as! any CancellableGate)
            cancelGates.append { cancel.cancel() }
        }
        let group = DispatchGroup()
        for head in plan.heads {
            for subtask in 0..<plan.nodes[head].parallelism {
                group.enter()
                let thread = Thread { [self] in
                    defer { group.leave() }
                    do {
                        try runTask(head: head, subtask: subtask)
                    } catch {
                        fail(error, head: head, subtask: subtask)
                    }
                }
                thread.name = "weir: \(plan.nodes[head].name) \(subtask + 1)/\(plan.nodes[head].parallelism)"
                thread.stackSize = 8 << 20
                thread.start()
            }
        }
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        if let firstError { throw firstError }
    }

    /// Cancels the run from outside (the job's tasks throw ``TaskCancelled`` and stop).
    func cancel() {
        control.cancel()
        for cancel in cancelGates { cancel() }
    }

    private func fail(_ error: any Error, head: Int, subtask: Int) {
        let attributed = location(of: head, subtask: subtask).attribute(error)
        lock.lock()
        if firstError == nil && !(attributed is TaskCancelled) { firstError = attributed }
        lock.unlock()
        cancel()
    }

    private func location(of node: Int, subtask: Int) -> OperatorLocation {
        OperatorLocation(operatorName: plan.nodes[node].name, subtask: subtask, parallelism: plan.nodes[node].parallelism)
    }

    // MARK: - One task

    private func runTask(head: Int, subtask: Int) throws {
        var operators: [(OperatorLifecycle, OperatorContext)] = []
        defer { for (op, _) in operators.reversed() { op.close() } }
        let node = plan.nodes[head]
        let task = TaskEnvironment(location: location(of: head, subtask: subtask), configuration: configuration, control: control, metrics: plan.metrics[head])
        switch node.kind {
        case .source(let run, _):
            let output = try buildOutput(of: head, tag: nil, subtask: subtask, operators: &operators)
            try open(operators)
            try run(task, output)
        case .transformation(let transformation):
            let chainHead = try buildChained(head, subtask: subtask, operators: &operators)
            try open(operators)
            try transformation.runInputTask(task, gates[head]![subtask], chainHead)
        }
    }

    private func open(_ operators: [(OperatorLifecycle, OperatorContext)]) throws {
        for (op, context) in operators {
            do { try op.open(context) } catch { throw context.location.attribute(error) }
        }
    }

    /// The output (an `Output<T>`) that feeds every consumer of `node`'s output `tag` in
    /// `subtask`: chained operators directly, other tasks through channels.
    private func buildOutput(of node: Int, tag: String?, subtask: Int, operators: inout [(OperatorLifecycle, OperatorContext)]) throws -> ErasedObject {
        let edges = plan.outgoing[node].filter { $0.edge.tag == tag }
        guard let first = edges.first else { return plan.nodes[node].outputs.discarding() }
        var outputs: [ErasedObject] = []
        for outgoing in edges {
            if outgoing.chained {
                outputs.append(try buildChained(outgoing.consumer, subtask: subtask, operators: &operators))
            } else {
                let consumerGates = gates[outgoing.consumer]!
                let targets: [(gate: ErasedObject, channel: Int)]
                if outgoing.partitioning == .forward {
                    targets = [(consumerGates[subtask], outgoing.channelOffset)]
                } else {
                    targets = consumerGates.map { ($0, outgoing.channelOffset + subtask) }
                }
                outputs.append(outgoing.edge.makeNetworkOutput(outgoing.partitioning, targets, subtask, configuration, plan.maxParallelism))
            }
        }
        return outputs.count == 1 ? outputs[0] : first.edge.outputs.fanOut(outputs)
    }

    /// Builds `node`'s operator with everything downstream of it in the chain, and returns the
    /// output that feeds it.
    private func buildChained(_ node: Int, subtask: Int, operators: inout [(OperatorLifecycle, OperatorContext)]) throws -> ErasedObject {
        guard case .transformation(let transformation) = plan.nodes[node].kind else { preconditionFailure("a source cannot be chained") }
        var main = try buildOutput(of: node, tag: nil, subtask: subtask, operators: &operators)
        var sideOutputs: [String: AnyObject] = [:]
        for tag in Set(plan.outgoing[node].compactMap(\.edge.tag)) {
            sideOutputs[tag] = try buildOutput(of: node, tag: tag, subtask: subtask, operators: &operators).object
        }
        main = plan.nodes[node].outputs.includingSideOutputs(main, sideOutputs.values.map { ErasedObject(object: $0) })
        let location = location(of: node, subtask: subtask)
        let (input, op) = transformation.makeOperator(main, location)
        let context = OperatorContext(location: location, maxParallelism: plan.maxParallelism, stateBackend: stateBackend, metrics: plan.metrics[node], sideOutputs: sideOutputs)
        operators.append((op, context))
        return input
    }
}

/// Lets the executor cancel a gate without knowing its value type.
protocol CancellableGate: AnyObject, Sendable {
    func cancel()
}

extension InputGate: CancellableGate {}
