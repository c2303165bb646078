// Koji's XML-RPC dialect: Python's xmlrpc.client layout byte for byte, <i8>, <nil/>, keyword
// arguments as a trailing `__starstar` struct. Shared by the Koji client and the hub simulator.
export { XmlRpcDouble, asDouble, kwargs, isKwargs, isStruct, STARSTAR } from './values';
export type { XmlRpcValue, XmlRpcStruct } from './values';
export { encodeCall, encodeResponse, encodeFault, encodeValue } from './encode';
export { decodeCall, decodeResponse, isFaultStruct } from './decode';
export type { DecodeOptions, DecodedResponse, XmlRpcFault } from './decode';
export { XmlRpcParseError, XmlRpcEncodeError } from './errors';
export { pythonFloatRepr } from './python-float';
