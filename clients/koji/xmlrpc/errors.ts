// Errors of the XML-RPC codec itself (not Koji faults: those are in ../errors).

/** A body that is not well-formed XML, or not XML-RPC. The hub answers such bodies with HTTP 400. */
export class XmlRpcParseError extends Error {
  override readonly name = 'XmlRpcParseError';
}

/** A value that XML-RPC (as Python's marshaller writes it) cannot carry. */
export class XmlRpcEncodeError extends TypeError {
  override readonly name = 'XmlRpcEncodeError';
}
