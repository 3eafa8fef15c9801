package translator

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeSpecSharedTakes: readers of one spec each take a document of their own to render in place, equal
// to a fresh decode, and changing one leaves the others (and the cache) alone.
func TestDecodeSpecSharedTakes(t *testing.T) {
	raw := []byte(`{"a":{"b":["x",1.50,true,null]},"c":"y"}`)
	c := newCompileCache(2)
	for i := 0; i < 3; i++ {
		if _, err := c.decodeSpec(raw, false); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := (*compileCache)(nil).decodeSpec(raw, true)
	var taken []map[string]any
	for i := 0; i < 4; i++ {
		doc, err := c.decodeSpec(raw, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(doc, want) {
			t.Fatalf("take %d: got %v, want %v", i, doc, want)
		}
		m := doc.(map[string]any)
		m["c"] = "changed"
		m["a"].(map[string]any)["b"].([]any)[0] = "changed"
		taken = append(taken, m)
	}
	if n, ok := want.(map[string]any)["a"].(map[string]any)["b"].([]any)[1].(json.Number); !ok || n.String() != "1.50" {
		t.Fatalf("number not kept as written: %v", n)
	}
	if _, ok := c.specs[string(raw)]; ok {
		t.Fatal("the last reader's take should have emptied the cache")
	}
}
