package events

// Record is one decoded EventRecord.
//
// Byte-slice fields alias the frame passed to Decoder.DecodeFrame (or the
// payload passed to DecodePayload) and are valid only until that buffer is
// reused; copy what must outlive it.
type Record struct {
	Type        Type
	TimestampNs int64 // monotonic ns; "now" when the payload had none or was malformed

	SampleUUID     []byte
	ConversationID []byte
	Turn           int64
	HasTurn        bool
	FinishReason   []byte
	HasFinish      bool // finish_reason key present (a string)
	WorkerID       int64
	HasWorkerID    bool

	// DataKind and Data describe the tagged data array: Data is its raw
	// msgpack encoding (already validated), nil for DataNone.
	DataKind DataKind
	Data     []byte

	// TokenIDs is the number of PromptData token_ids, or -1 when
	// token_ids is absent or nil (upstream counts ISL from it directly).
	TokenIDs int

	// Err is non-nil when the payload did not decode: the record is then
	// the error.generic record upstream synthesises (no uuid, timestamp =
	// decode time) and Err, a *DecodeError, says why. When Err.Raised is
	// set the record has Type TypeUnknown instead: upstream drops such a
	// payload without any record (see Decoder).
	Err error

	hasTimestamp bool // timestamp_ns was present in the payload
}

// Reset clears r for reuse.
func (r *Record) Reset() { *r = Record{TokenIDs: -1} }
