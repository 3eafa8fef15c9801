package report

import (
	"strings"
	"testing"
)

func TestSpliceInsertsAfterTheTitleAndKeepsTheRest(t *testing.T) {
	doc := "# Benchmarks\n\n## Translator\n\nkept\n"
	got, err := Splice(doc, "## New\n\nfigures\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\n" + BeginMarker + "\n\n## New\n\nfigures\n\n" + EndMarker + "\n\n## Translator\n\nkept\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	again, err := Splice(got, "## Newer\n")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(again, "figures") || !strings.Contains(again, "## Newer") || !strings.HasSuffix(again, "## Translator\n\nkept\n") {
		t.Fatalf("second splice did not replace the section alone:\n%s", again)
	}
	if strings.Count(again, BeginMarker) != 1 || strings.Count(again, EndMarker) != 1 {
		t.Fatalf("markers duplicated:\n%s", again)
	}
}

func TestSpliceRefusesABrokenDoc(t *testing.T) {
	if _, err := Splice("# B\n"+EndMarker+"\n"+BeginMarker+"\n", "x"); err == nil {
		t.Fatal("markers in the wrong order must be an error")
	}
	if _, err := Splice("# B\n"+BeginMarker+"\n", "x"); err == nil {
		t.Fatal("a lone marker must be an error")
	}
}
