/// An object handed between the graph builder and typed code that knows its real type.
/// Only the closures created together with the object cast it back.
struct ErasedObject: @unchecked Sendable {
    let object: AnyObject
}

/// Type-specific factories for the outputs of a stream of one value type, captured where the
/// type is still known (in the typed API) and used by the untyped plan builder.
struct OutputFactories: Sendable {
    let fanOut: @Sendable ([ErasedObject]) -> ErasedObject
    let discarding: @Sendable () -> ErasedObject
    /// The main output combined with the side outputs (see `Output.including(sideOutputs:)`).
    let includingSideOutputs: @Sendable (_ main: ErasedObject, _ sideOutputs: [ErasedObject]) -> ErasedObject

    static func of<Value: Sendable>(_ type: Value.Type) -> OutputFactories {
        OutputFactories(
            fanOut: { outputs in ErasedObject(object: Output<Value>.fanOut(outputs.map { $0.object as! Output<Value> })) },
            discarding: { ErasedObject(object: Output<Value>.discarding()) },
            includingSideOutputs: { main, sides in
                ErasedObject(object: (main.object as! Output<Value>).including(sideOutputs: sides.map { $0.object as! any ControlOutput }))
            }
        )
    }
}
