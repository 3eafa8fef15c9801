package translator

import (
	"encoding/json"
	"testing"
)

// TestMarshalTaskActionsMatchesJSON: the direct writer gives encoding/json's bytes.
func TestMarshalTaskActionsMatchesJSON(t *testing.T) {
	for _, m := range []map[string]string{
		{},
		{"a": "a"},
		{"b-1": "b-1", "a0": "0a", "z.y_x": "Z"},
		{"a": "<&>", "b": "é"},
		{"a\"": "x\\", "b": "\u2028"},
	} {
		got, err := marshalTaskActions(m)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(m)
		if string(got) != string(want) {
			t.Errorf("%v: got %s, want %s", m, got, want)
		}
	}
}
