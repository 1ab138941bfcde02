package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the summary numbers as indented JSON (display units: ms
// for *_ns series, tokens for isl/osl, seconds for durations; null where a
// number is not available). Histograms are left out.
func WriteJSON(w io.Writer, s *Summary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
