package translator

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Upstream's reference syntax: $(params.NAME), $(planName) and $(outputs.ACTION.FIELD...) mean exactly what
// {{ .params.NAME }}, {{ .planName }} and the action's recorded outputs mean. After text/template has parsed a
// string, each reference in its text (never inside a {{ }} action) is replaced by the equivalent action node,
// so both syntaxes share one renderer and one set of error rules: an undeclared parameter fails the render, it
// never stays literal. Any other $(...) -- a shell $(date), a Kubernetes $(VAR) -- is text, and "$$(" is
// Kubernetes' escape for a literal "$(", left exactly as written.

// refCandidate finds what a reference could be: "$(planName)", or "$(params." / "$(outputs." up to the first
// ")". A leading "$" (the "$$(" escape) is part of the match so that it can be skipped.
var refCandidate = regexp.MustCompile(`\$?\$\((?:planName|params\.[^)]*|outputs\.[^)]*)\)`)

var (
	refParamName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	refFieldNames = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$`)
)

// outputFunc is the template function a $(outputs.ACTION.F1.F2) reference becomes: {{drOutput $ "ACTION" "F1"
// "F2"}}. Action names are DNS labels, and ".outputs.my-action" is not template syntax; Go's index function
// would also return an empty value for a missing key instead of failing.
const outputFunc = "drOutput"

// templateFuncs are the functions every template may call, besides text/template's own.
var templateFuncs = template.FuncMap{outputFunc: lookupOutput}

// hasReference reports whether s holds a $() reference (not the "$$(" escape).
func hasReference(s string) bool {
	if !strings.Contains(s, "$(") {
		return false
	}
	for _, m := range refCandidate.FindAllString(s, -1) {
		if !strings.HasPrefix(m, "$$") {
			return true
		}
	}
	return false
}

// expandReferences replaces the $() references in the text of t (and of the templates it defines) by their
// actions.
func expandReferences(t *template.Template) error {
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Root == nil {
			continue
		}
		if err := expandList(tt.Root); err != nil {
			return err
		}
	}
	return nil
}

// expandList rewrites the text nodes of list, and of the lists of the if/range/with nodes in it.
func expandList(list *parse.ListNode) error {
	if list == nil {
		return nil
	}
	out := make([]parse.Node, 0, len(list.Nodes))
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			nodes, err := expandText(string(n.Text))
			if err != nil {
				return err
			}
			if nodes == nil {
				out = append(out, n)
				continue
			}
			out = append(out, nodes...)
			continue
		case *parse.IfNode:
			if err := expandBranch(&n.BranchNode); err != nil {
				return err
			}
		case *parse.RangeNode:
			if err := expandBranch(&n.BranchNode); err != nil {
				return err
			}
		case *parse.WithNode:
			if err := expandBranch(&n.BranchNode); err != nil {
				return err
			}
		}
		out = append(out, n)
	}
	list.Nodes = out
	return nil
}

func expandBranch(b *parse.BranchNode) error {
	if err := expandList(b.List); err != nil {
		return err
	}
	return expandList(b.ElseList)
}

// expandText returns the nodes text becomes, or nil when it holds no reference. Text outside actions never
// contains "{{", so each literal piece parses back to exactly one text node.
func expandText(text string) ([]parse.Node, error) {
	var nodes []parse.Node
	last := 0
	for _, loc := range refCandidate.FindAllStringIndex(text, -1) {
		ref := text[loc[0]:loc[1]]
		if strings.HasPrefix(ref, "$$") {
			continue
		}
		action, err := referenceAction(ref)
		if err != nil {
			return nil, err
		}
		piece, err := parseNodes(text[last:loc[0]], text[last:loc[0]])
		if err != nil {
			return nil, err
		}
		refNodes, err := parseNodes(ref, action)
		if err != nil {
			return nil, err
		}
		nodes = append(append(nodes, piece...), refNodes...)
		last = loc[1]
	}
	if nodes == nil {
		return nil, nil
	}
	rest, err := parseNodes(text[last:], text[last:])
	if err != nil {
		return nil, err
	}
	return append(nodes, rest...), nil
}

// parseNodes parses src (named name, which error messages show) and returns its top-level nodes.
func parseNodes(name, src string) ([]parse.Node, error) {
	if src == "" {
		return nil, nil
	}
	t, err := template.New(name).Funcs(templateFuncs).Parse(src)
	if err != nil {
		return nil, err
	}
	return t.Root.Nodes, nil
}

// referenceAction returns the template action equivalent to ref, a refCandidate match, or why ref is not a
// valid reference.
func referenceAction(ref string) (string, error) {
	inner := ref[len("$(") : len(ref)-len(")")]
	switch {
	case inner == "planName":
		return "{{.planName}}", nil
	case strings.HasPrefix(inner, "params."):
		name := strings.TrimPrefix(inner, "params.")
		if !refParamName.MatchString(name) {
			return "", fmt.Errorf("%q is not a valid reference: parameter names are letters, digits and _", ref)
		}
		return "{{.params." + name + "}}", nil
	default:
		action, fields, _ := strings.Cut(strings.TrimPrefix(inner, "outputs."), ".")
		if len(validation.IsDNS1123Label(action)) > 0 || !refFieldNames.MatchString(fields) {
			return "", fmt.Errorf("%q is not a valid reference: write $(outputs.ACTION.FIELD), ACTION an action name and FIELD the outputs' JSON fields, e.g. $(outputs.promote.localizationRef.name)", ref)
		}
		args := []string{outputFunc, "$", strconv.Quote(action)}
		for _, f := range strings.Split(fields, ".") {
			args = append(args, strconv.Quote(f))
		}
		return "{{" + strings.Join(args, " ") + "}}", nil
	}
}

// lookupOutput is the drOutput template function: the value at fields under the recorded outputs of action.
// Outputs exist only where a run is reverted (see newRenderer).
func lookupOutput(data map[string]any, action string, fields ...string) (any, error) {
	outputs, ok := data["outputs"].(map[string]any)
	if !ok {
		return nil, errors.New("outputs are only available to rollback actions and reverse runs")
	}
	v, ok := outputs[action]
	if !ok {
		return nil, fmt.Errorf("the reverted run has no action %q", action)
	}
	for i, f := range fields {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("outputs of action %q: %s is not an object", action, strings.Join(fields[:i], "."))
		}
		if v, ok = m[f]; !ok {
			return nil, fmt.Errorf("outputs of action %q have no %s", action, strings.Join(fields[:i+1], "."))
		}
	}
	return v, nil
}
