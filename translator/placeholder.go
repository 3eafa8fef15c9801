package translator

import (
	"fmt"
	"strings"
)

// argoRoots are the variable roots Argo resolves inside "{{ }}" when it substitutes a template at run time
// (and its validator insists on resolving). User text must never reach Argo containing one of them: the
// controller would replace or reject it. "=" opens an Argo expression tag.
var argoRoots = []string{
	"workflow.", "inputs.", "outputs.", "tasks.", "steps.", "item", "pod.", "node.", "retries", "lastRetry.", "=",
}

// findArgoPlaceholder explains the first "{{" in s that Argo would treat as its own (see argoPlaceholder) or
// that is never closed by "}}" (Argo's template parser fails on that).
func findArgoPlaceholder(s string) (reason string, found bool) {
	if reason, found := argoPlaceholder(s); found {
		return reason, true
	}
	return unclosedBraces(s)
}

// argoPlaceholder explains the first "{{" followed (after optional spaces) by an Argo root. Every "{{" is
// checked, not only the ones Argo's parser would start a tag at, because Argo also resolves nested tags.
func argoPlaceholder(s string) (reason string, found bool) {
	for i := 0; ; {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			return "", false
		}
		at := i + j
		rest := strings.TrimLeft(s[at+2:], " \t\r\n")
		for _, root := range argoRoots {
			if strings.HasPrefix(rest, root) {
				return fmt.Sprintf("%q would be read by Argo as its own placeholder", excerptAt(s, at)), true
			}
		}
		i = at + 1
	}
}

// unclosedBraces explains a "{{" with no "}}" after it.
func unclosedBraces(s string) (reason string, found bool) {
	open := strings.LastIndex(s, "{{")
	if open < 0 || strings.Contains(s[open+2:], "}}") {
		return "", false
	}
	return fmt.Sprintf("%q opens \"{{\" without a closing \"}}\", which Argo cannot parse", excerptAt(s, open)), true
}

// excerptAt returns up to 40 bytes of s starting at i.
func excerptAt(s string, i int) string {
	const maxExcerpt = 40
	if len(s)-i > maxExcerpt {
		return s[i:i+maxExcerpt] + "..."
	}
	return s[i:]
}
