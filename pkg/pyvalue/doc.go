// Package pyvalue is the Python value model of the event data: the values
// msgspec hands upstream's Python code for fields typed Any (tool calls,
// chat messages, template kwargs), with Python's semantics where they
// change a result: dict insertion order and key equality (1 == 1.0 ==
// True), truthiness, and the exact text of Python's json.loads and of
// msgspec's JSON and msgpack encoders.
//
// pkg/events decodes event payloads into these values (events.DecodeValue,
// events.DecodeData); pkg/chattmpl renders them through chat templates and
// builds upstream's fallback texts from them; `aggregator tokens count
// --chat` parses its JSON lines into them (ParsePythonJSON).
package pyvalue
