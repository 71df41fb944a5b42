/// An object handed between the graph builder and typed code that knows its real type.
/// Only the closures created together with the object cast it back.
@usableFromInline struct ErasedObject: @unchecked Sendable {
    @usableFromInline init(object: AnyObject) { self.object = object }
    @usableFromInline let object: AnyObject
}

/// Type-specific factories for the outputs of a stream of one value type, captured where the
/// type is still known (in the typed API) and used by the untyped plan builder.
@usableFromInline struct OutputFactories: Sendable {
    @usableFromInline init(fanOut: @escaping @Sendable ([ErasedObject]) -> ErasedObject, discarding: @escaping @Sendable () -> ErasedObject,
                           includingSideOutputs: @escaping @Sendable (_ main: ErasedObject, _ sideOutputs: [ErasedObject]) -> ErasedObject) {
        self.fanOut = fanOut
        self.discarding = discarding
        self.includingSideOutputs = includingSideOutputs
    }
    @usableFromInline let fanOut: @Sendable ([ErasedObject]) -> ErasedObject
    @usableFromInline let discarding: @Sendable () -> ErasedObject
    /// The main output combined with the side outputs (see `Output.including(sideOutputs:)`).
    @usableFromInline let includingSideOutputs: @Sendable (_ main: ErasedObject, _ sideOutputs: [ErasedObject]) -> ErasedObject

    @inlinable static func of<Value: Sendable>(_ type: Value.Type) -> OutputFactories {
        OutputFactories(
            fanOut: { outputs in ErasedObject(object: Output<Value>.fanOut(outputs.map { $0.object as! Output<Value> })) },
            discarding: { ErasedObject(object: Output<Value>.discarding()) },
            includingSideOutputs: { main, sides in
                ErasedObject(object: (main.object as! Output<Value>).including(sideOutputs: sides.map { $0.object as! any ControlOutput }))
            }
        )
    }
}
