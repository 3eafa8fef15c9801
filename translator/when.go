package translator

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

	"github.com/drplan/drplan-operator/api/v1alpha1"
)

// A run-time `when` reads the results of earlier actions, so it is decided when the action becomes ready, not
// at compile time: `{{ .outputs.create-localization.phase == 'Succeeded' }}` (the seed's form). Its text between
// "{{" and "}}" is an expression in expr-lang's syntax (the library Argo evaluates its own expressions with),
// after one narrow rewrite: `.outputs.NAME.` becomes `outputs["NAME"].` and `.params.` becomes `params.`, outside
// quotes, so that hyphenated action names parse. The parsed tree is then checked against a whitelist (literals,
// comparisons, in, contains/startsWith/endsWith, &&, ||, !, outputs of the actions it depends on, params) and
// printed again by this package (printCondition), never passed on as the user wrote it: the engines see only
// text built here. The native engine evaluates the canonical text in-process; EmitArgo compiles it into an Argo
// expression tag over Argo's own task variables (argoexpr.go).

// Condition is a run-time `when`, checked and with its parameters filled in.
type Condition struct {
	// Expr is the canonical expression, fully parenthesised, reading outputs["ACTION"]["FIELD"] (the field's
	// dotted path one key): what the native engine evaluates (EvaluateCondition) and EmitArgo compiles.
	Expr string
	// Reads names the actions whose results Expr reads, sorted.
	Reads []string
}

// WhenFalseMessage is the message of an action skipped because its run-time `when` evaluated false, the same on
// both engines.
const WhenFalseMessage = "skipped: when evaluated false on the results of earlier actions"

// conditionKind is the type of a value in a condition.
type conditionKind int

const (
	kindString conditionKind = iota + 1
	kindNumber
	kindBool
)

func (k conditionKind) String() string {
	switch k {
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	}
	return "a value"
}

// Fields a condition may read, by action type. Names are the JSON fields of ActionStatus and its outputs, as
// status shows them and reverse runs' templates read them.
const (
	fieldPhase          = "phase"
	fieldHTTPBody       = "httpResponse.body"
	fieldHTTPStatusCode = "httpResponse.statusCode"
)

// conditionPhases are the phases a finished dependency may have: dependents of a Failed action never run, so in
// practice a condition sees Succeeded or Skipped.
var conditionPhases = []string{string(v1alpha1.ActionSucceeded), string(v1alpha1.ActionSkipped), string(v1alpha1.ActionFailed)}

// refFields are the fields of an object reference a condition may read.
var refFields = []string{OutputName, OutputNamespace, OutputKind, OutputAPIVersion}

// conditionFields lists what a condition may read of an action: its phase, and the outputs both engines record
// for it. Argo records no status code of a successful HTTP call, so httpResponse.statusCode is offered only to
// workflows that run on the native engine; a Delete records no object.
func conditionFields(body *v1alpha1.ActionBody, executor v1alpha1.ExecutorType) map[string]conditionKind {
	fields := map[string]conditionKind{fieldPhase: kindString}
	addRef := func(ref string) {
		for _, f := range refFields {
			fields[ref+"."+f] = kindString
		}
	}
	switch body.Type {
	case v1alpha1.ActionTypeHTTP:
		fields[fieldHTTPBody] = kindString
		if executor == v1alpha1.ExecutorNative {
			fields[fieldHTTPStatusCode] = kindNumber
		}
	case v1alpha1.ActionTypeJob:
		addRef(OutputRefJob)
	}
	if op, ok := resourceOperation(body); ok && op != v1alpha1.OperationDelete {
		switch body.Type {
		case v1alpha1.ActionTypeLocalization:
			addRef(OutputRefLocalization)
		case v1alpha1.ActionTypeSubscription:
			addRef(OutputRefSubscription)
		case v1alpha1.ActionTypeKubernetesResource:
			addRef(OutputRefResource)
		}
	}
	return fields
}

// conditionSupportedForm is shown with every rejected run-time `when`.
const conditionSupportedForm = `write one {{ }} holding a comparison of an earlier action's result, e.g. ` +
	`{{ .outputs.create-localization.phase == 'Succeeded' }} or ` +
	`{{ .outputs.notify.httpResponse.body contains '"ok":true' && .params.dryRun != 'true' }}`

// runtimeRef finds a read of outputs: `.outputs` starting a reference (not `.params.outputsDir`), or upstream's
// `$(outputs.`.
var runtimeRef = regexp.MustCompile(`(^|[^A-Za-z0-9_\])])\.outputs\b|\$\(outputs\.`)

// isRuntimeWhen reports whether when reads the results of actions of the run. Such a `when` could never render
// at compile time (forward runs have no outputs), so nothing that worked before is taken from the templates.
func isRuntimeWhen(when string) bool {
	return runtimeRef.MatchString(when)
}

// conditionScope is what a run-time `when` of one action may read: the fields of each action it depends on,
// directly or through others.
type conditionScope struct {
	// readable maps each action the condition may read to its fields.
	readable map[string]map[string]conditionKind
	// params resolves a parameter; nil at admission, where only the name is checked.
	params func(name string) (string, bool)
}

// parseCondition checks a run-time `when` against scope and returns it in canonical form, or why it is
// rejected (the reason alone: callers wrap it in a field error).
func parseCondition(when string, scope conditionScope) (*Condition, string) {
	src, reason := conditionSource(when)
	if reason != "" {
		return nil, reason
	}
	tree, err := parser.Parse(rewriteCondition(src))
	if err != nil {
		msg := err.Error()
		if fe, ok := err.(*file.Error); ok {
			msg = fe.Message
		}
		return nil, "does not parse (" + msg + "): " + conditionSupportedForm
	}
	c := &conditionChecker{scope: scope, reads: map[string]bool{}}
	kind, reason := c.check(&tree.Node)
	if reason != "" {
		return nil, reason
	}
	if kind != kindBool {
		return nil, fmt.Sprintf("is %s, not a condition: %s", kind, conditionSupportedForm)
	}
	printed, err := printCondition(tree.Node, nativeRef)
	if err != nil {
		return nil, err.Error()
	}
	reads := make([]string, 0, len(c.reads))
	for a := range c.reads {
		reads = append(reads, a)
	}
	sort.Strings(reads)
	return &Condition{Expr: printed, Reads: reads}, ""
}

// conditionSource returns the expression between the only "{{" and the last "}}" of when. A string literal
// may hold braces ('{"a":{"b":1}}'), so the last "}}" closes it.
func conditionSource(when string) (string, string) {
	t := strings.TrimSpace(when)
	if !strings.HasPrefix(t, "{{") || !strings.HasSuffix(t, "}}") || len(t) < 4 {
		return "", "reads outputs, so it is a run-time condition: " + conditionSupportedForm
	}
	inner := strings.TrimSpace(t[2 : len(t)-2])
	if strings.HasPrefix(inner, "-") || strings.HasSuffix(inner, "-") {
		return "", "a run-time condition takes no {{- -}} trim markers: " + conditionSupportedForm
	}
	if strings.Contains(inner, "$(") {
		return "", "a run-time condition reads outputs as .outputs.ACTION.FIELD, not $(outputs...): " + conditionSupportedForm
	}
	return inner, ""
}

var (
	outputsPrefix = regexp.MustCompile(`^\.outputs\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)`)
	paramsPrefix  = regexp.MustCompile(`^\.params\.`)
)

// rewriteCondition turns `.outputs.NAME` into `outputs["NAME"]` and `.params.` into `params.` wherever they
// start a reference outside quotes; the rest is left as written for the parser.
func rewriteCondition(src string) string {
	var out strings.Builder
	var quote byte
	for i := 0; i < len(src); i++ {
		ch := src[i]
		switch {
		case quote != 0:
			out.WriteByte(ch)
			if ch == '\\' && i+1 < len(src) {
				i++
				out.WriteByte(src[i])
			} else if ch == quote {
				quote = 0
			}
			continue
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
			out.WriteByte(ch)
			continue
		case ch == '.' && (i == 0 || !isIdentByte(src[i-1]) && src[i-1] != ']' && src[i-1] != ')'):
			if m := outputsPrefix.FindStringSubmatch(src[i:]); m != nil {
				out.WriteString(`outputs["` + m[1] + `"]`)
				i += len(m[0]) - 1
				continue
			}
			if m := paramsPrefix.FindString(src[i:]); m != "" {
				out.WriteString("params.")
				i += len(m) - 1
				continue
			}
		}
		out.WriteByte(ch)
	}
	return out.String()
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// conditionChecker walks a parsed condition, allowing only the whitelisted nodes, inferring types, replacing
// parameters by their values and collecting the actions read.
type conditionChecker struct {
	scope conditionScope
	reads map[string]bool
}

var (
	comparisonOps = map[string]bool{"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}
	stringOps     = map[string]bool{"contains": true, "startsWith": true, "endsWith": true}
	logicalOps    = map[string]string{"&&": "&&", "and": "&&", "||": "||", "or": "||"}
)

// check returns the kind of *node, or why it is not allowed. It may replace *node (a parameter by its value,
// a spelled-out operator by its symbol).
func (c *conditionChecker) check(node *ast.Node) (conditionKind, string) {
	switch n := (*node).(type) {
	case *ast.StringNode:
		return kindString, ""
	case *ast.IntegerNode, *ast.FloatNode:
		return kindNumber, ""
	case *ast.BoolNode:
		return kindBool, ""
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return 0, fmt.Sprintf("operator %q is not supported in a run-time condition (use ==, !=, <, >, <=, >=, in, contains, startsWith, endsWith, &&, ||, !)", n.Operator)
		}
		n.Operator = "!"
		k, reason := c.check(&n.Node)
		if reason != "" {
			return 0, reason
		}
		if k != kindBool {
			return 0, fmt.Sprintf("! needs a condition, not %s", k)
		}
		return kindBool, ""
	case *ast.BinaryNode:
		return c.checkBinary(n)
	case *ast.MemberNode:
		return c.checkMember(node, n)
	case *ast.IdentifierNode:
		return 0, fmt.Sprintf("%q is not something a run-time condition can read: read .outputs.ACTION.FIELD or .params.NAME", n.Value)
	}
	return 0, fmt.Sprintf("%q is not supported in a run-time condition: %s", (*node).String(), conditionSupportedForm)
}

func (c *conditionChecker) checkBinary(n *ast.BinaryNode) (conditionKind, string) {
	if op, ok := logicalOps[n.Operator]; ok {
		n.Operator = op
		for _, side := range []*ast.Node{&n.Left, &n.Right} {
			k, reason := c.check(side)
			if reason != "" {
				return 0, reason
			}
			if k != kindBool {
				return 0, fmt.Sprintf("%s needs conditions on both sides, not %s", op, k)
			}
		}
		return kindBool, ""
	}
	if n.Operator == "in" {
		left, reason := c.check(&n.Left)
		if reason != "" {
			return 0, reason
		}
		list, ok := n.Right.(*ast.ArrayNode)
		if !ok || len(list.Nodes) == 0 {
			return 0, "in needs a list of literals on its right: .outputs.a.phase in ['Succeeded', 'Skipped']"
		}
		for i := range list.Nodes {
			if reason := c.checkLiteral(&list.Nodes[i], left); reason != "" {
				return 0, reason
			}
		}
		return kindBool, c.checkPhaseLiterals(n.Left, list.Nodes...)
	}
	if !comparisonOps[n.Operator] && !stringOps[n.Operator] {
		return 0, fmt.Sprintf("operator %q is not supported in a run-time condition (use ==, !=, <, >, <=, >=, in, contains, startsWith, endsWith, &&, ||, !)", n.Operator)
	}
	left, reason := c.check(&n.Left)
	if reason != "" {
		return 0, reason
	}
	right, reason := c.check(&n.Right)
	if reason != "" {
		return 0, reason
	}
	switch {
	case left != right:
		return 0, fmt.Sprintf("%s compares %s with %s (parameters are strings; compare a number with a number)", n.Operator, left, right)
	case stringOps[n.Operator] && left != kindString:
		return 0, fmt.Sprintf("%s needs strings, not %s", n.Operator, left)
	case left == kindBool && n.Operator != "==" && n.Operator != "!=":
		return 0, fmt.Sprintf("%s does not order booleans", n.Operator)
	}
	if n.Operator == "==" || n.Operator == "!=" {
		if reason := c.checkPhaseLiterals(n.Left, n.Right); reason != "" {
			return 0, reason
		}
		if reason := c.checkPhaseLiterals(n.Right, n.Left); reason != "" {
			return 0, reason
		}
	}
	return kindBool, ""
}

// checkLiteral allows a literal of kind want in a list.
func (c *conditionChecker) checkLiteral(node *ast.Node, want conditionKind) string {
	var k conditionKind
	switch (*node).(type) {
	case *ast.StringNode:
		k = kindString
	case *ast.IntegerNode, *ast.FloatNode:
		k = kindNumber
	case *ast.BoolNode:
		k = kindBool
	default:
		return fmt.Sprintf("the list after in holds literals only, not %q", (*node).String())
	}
	if k != want {
		return fmt.Sprintf("in compares %s with a list holding %s", want, k)
	}
	return ""
}

// checkPhaseLiterals rejects a phase compared with a string that is no phase (a typo would be false forever).
func (c *conditionChecker) checkPhaseLiterals(ref ast.Node, values ...ast.Node) string {
	m, ok := ref.(*ast.MemberNode)
	if !ok {
		return ""
	}
	if _, field, ok := conditionRead(m); !ok || field != fieldPhase {
		return ""
	}
	for _, v := range values {
		if s, ok := v.(*ast.StringNode); ok && !contains(conditionPhases, s.Value) {
			return fmt.Sprintf("%q is not a phase an earlier action can end in: %s", s.Value, strings.Join(conditionPhases, ", "))
		}
	}
	return ""
}

// checkMember allows outputs["ACTION"].FIELD... of a readable action and params.NAME (replaced by its value).
func (c *conditionChecker) checkMember(node *ast.Node, n *ast.MemberNode) (conditionKind, string) {
	if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "params" {
		name, ok := n.Property.(*ast.StringNode)
		if !ok || n.Optional || !refParamName.MatchString(name.Value) {
			return 0, "parameters are read as .params.NAME"
		}
		v, ok := "", true // at admission only the form is checked
		if c.scope.params != nil {
			v, ok = c.scope.params(name.Value)
		}
		if !ok {
			return 0, fmt.Sprintf("parameter %q is not set", name.Value)
		}
		*node = &ast.StringNode{Value: v}
		return kindString, ""
	}
	action, field, ok := conditionRead(n)
	if !ok {
		return 0, fmt.Sprintf("%q is not something a run-time condition can read: read .outputs.ACTION.FIELD or .params.NAME", n.String())
	}
	fields, ok := c.scope.readable[action]
	if !ok {
		names := make([]string, 0, len(c.scope.readable))
		for a := range c.scope.readable {
			names = append(names, a)
		}
		sort.Strings(names)
		allowed := "none (it depends on no action)"
		if len(names) > 0 {
			allowed = strings.Join(names, ", ")
		}
		return 0, fmt.Sprintf("reads the outputs of action %q, which is not among the actions this one depends on "+
			"(directly or through others): %s; add it to dependsOn", action, allowed)
	}
	kind, ok := fields[field]
	if !ok && field == fieldHTTPStatusCode && fields[fieldHTTPBody] != 0 {
		return 0, fmt.Sprintf("reads the status code of action %q, which only the native engine records (Argo records no "+
			"status code of a successful call): set spec.executor.type to Native, or compare httpResponse.body", action)
	}
	if !ok {
		return 0, fmt.Sprintf("action %q has no %q to read; it offers: %s", action, field, strings.Join(sortedFieldNames(fields), ", "))
	}
	c.reads[action] = true
	*node = &ast.MemberNode{Node: &ast.MemberNode{Node: &ast.IdentifierNode{Value: "outputs"}, Property: &ast.StringNode{Value: action}}, Property: &ast.StringNode{Value: field}}
	return kind, ""
}

// conditionRead reads outputs["ACTION"].F1.F2... as the action and the dotted field path. The canonical form has
// the whole path as one property (outputs["a"]["httpResponse.body"]); both spellings are read.
func conditionRead(n *ast.MemberNode) (action, field string, ok bool) {
	var path []string
	var cur ast.Node = n
	for {
		m, isMember := cur.(*ast.MemberNode)
		if !isMember || m.Optional || m.Method {
			return "", "", false
		}
		p, isString := m.Property.(*ast.StringNode)
		if !isString {
			return "", "", false
		}
		if id, isIdent := m.Node.(*ast.IdentifierNode); isIdent {
			if id.Value != "outputs" || len(path) == 0 {
				return "", "", false
			}
			return p.Value, strings.Join(path, "."), true
		}
		path = append([]string{p.Value}, path...)
		cur = m.Node
	}
}

func sortedFieldNames(fields map[string]conditionKind) []string {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}

// nativeRef prints a read of the native engine's `outputs` variable: outputs["ACTION"]["FIELD"], the field's
// dotted path one key (ConditionOutputs builds the map that way).
func nativeRef(action, field string) (string, error) {
	return "outputs[" + conditionString(action) + "][" + conditionString(field) + "]", nil
}

// parseCanonical parses a Condition's Expr, text this package printed from a checked tree.
func parseCanonical(src string) (ast.Node, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("condition %q does not parse: %w", src, err)
	}
	return tree.Node, nil
}

// readableBy returns, for the action at index i, what its run-time `when` may read: the actions it depends
// on, directly or through others (in a workflow without dependsOn, every action before it), with their fields.
// A transitive dependency has ended by the time the action is ready on both engines (Argo scopes the task
// variables of every ancestor). Unknown names and cycles, reported elsewhere, are ignored.
func readableBy(actions []v1alpha1.Action, executor v1alpha1.ExecutorType, i int) map[string]map[string]conditionKind {
	index := make(map[string]int, len(actions))
	sequential := true
	for j := range actions {
		index[actions[j].Name] = j
		if len(actions[j].DependsOn) > 0 {
			sequential = false
		}
	}
	out := map[string]map[string]conditionKind{}
	if sequential {
		for j := 0; j < i; j++ {
			out[actions[j].Name] = conditionFields(&actions[j].ActionBody, executor)
		}
		return out
	}
	visited := make([]bool, len(actions))
	var visit func(k int)
	visit = func(k int) {
		for _, d := range actions[k].DependsOn {
			j, ok := index[d]
			if !ok || visited[j] || j == i {
				continue
			}
			visited[j] = true
			out[actions[j].Name] = conditionFields(&actions[j].ActionBody, executor)
			visit(j)
		}
	}
	visit(i)
	return out
}
