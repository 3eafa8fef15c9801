// Package report holds what the real-stack benchmark (test/bench) measures, the statistics it derives and the
// Markdown and PNG report it writes into docs/benchmarks.md. Everything here is pure: no cluster, no clock.
package report

import "time"

// Results is one run of the benchmark harness.
type Results struct {
	Env Env
	// Overhead: the same DAGs straight on Argo and through the operator (figure 1).
	Overhead []Run
	// Lag: status lag and writes at each concurrency (figure 2).
	Lag []LagBatch
	// Scale: many concurrent executions and the largest workflow (figure 3).
	Scale *Scale
	// Native: the native engine at the shapes of Overhead (figure 4).
	Native []Run
	// Missing names figures or parts of figures that were not measured, and why.
	Missing []string
}

// Env is where and when the harness ran.
type Env struct {
	Start, End time.Time
	Commit     string // git describe of the tree measured; "-dirty" when it had changes
	CPU        string // model name
	Cores      int
	MemoryGiB  float64
	// LoadStart and LoadEnd are /proc/loadavg (1, 5, 15 minutes) when the harness started and ended.
	LoadStart, LoadEnd [3]float64
	GoVersion          string
	ArgoVersion        string
	// HTTPDelay is how long the hook server holds every HTTP action's answer.
	HTTPDelay time.Duration
	// Sizes are the action counts of figure 1 and 4; Depth the layers of every DAG.
	Sizes []int
	Depth int
	// Command is how the harness was started.
	Command string
	// NativeOnly: no Argo, kube-apiserver and etcd alone (figure 4 only).
	NativeOnly bool
	// Earlier are the runs whose figures this one kept (-previous), oldest first.
	Earlier []EarlierRun
}

// EarlierRun is what the report says of a run whose figures were kept.
type EarlierRun struct {
	Start, End         time.Time
	Commit             string
	LoadStart, LoadEnd [3]float64
	Command            string
}

// Mode is who ran a DAG.
type Mode string

const (
	// ArgoAlone is the compiled Workflow created straight in the API server, no operator involved.
	ArgoAlone Mode = "argo"
	// ThroughOperator is a DRPlanExecution, run by the operator on Argo.
	ThroughOperator Mode = "operator"
	// Native is a DRPlanExecution run by the operator's native engine.
	Native Mode = "native"
)

// Shape is a DAG: Depth layers of Actions/Depth actions of one kind, each depending on two of the layer before.
type Shape struct {
	Kind    string // "http" or "resource"
	Actions int
	Depth   int
}

// Run is one DAG run.
type Run struct {
	Shape Shape
	Mode  Mode
	OK    bool
	Error string
	// Wall is creation (of the Workflow, or of the execution) to the end (the Workflow's phase, or the
	// execution's terminal phase), both as watch events.
	Wall time.Duration
	// FirstAction is creation to the first action's effect (the hook server's first request, or the first
	// ConfigMap's watch event).
	FirstAction time.Duration
	// WorkflowCreated is the execution's creation to its Workflow's first watch event (operator only).
	WorkflowCreated time.Duration
	// EndLag is the Workflow's last node ending (first watch event with every node finished) to the execution's
	// terminal watch event (operator only).
	EndLag time.Duration
	// PhaseLag is the Workflow's phase ending (its first watch event with a completed phase) to the execution's
	// terminal watch event (operator only): the operator's own share of EndLag.
	PhaseLag time.Duration
	// CriticalPath is the nominal critical path: Depth × the hook server's delay (HTTP only).
	CriticalPath time.Duration
	// OperatorCPU is the operator process's user+system CPU during the run.
	OperatorCPU time.Duration
	// Writes are the execution's resourceVersion changes after its creation; Transitions the action phase
	// changes its Workflow showed (Argo) or its status showed (native).
	Writes, Transitions int
	// StatusBytes is the largest JSON size of the execution seen; WorkflowBytes of its Workflow.
	StatusBytes, WorkflowBytes int
	// Compressed is set when the Workflow's nodes were ever in status.compressedNodes.
	Compressed bool
	// Load is the 1-minute load average when the run started.
	Load float64
}

// LagBatch is a batch of concurrent executions measured for status lag and writes.
type LagBatch struct {
	Concurrency int
	Shape       Shape
	// Executions that ended Succeeded, out of Concurrency.
	Succeeded int
	// Lags are node change -> execution status delays, one per action phase change the execution showed.
	Lags []time.Duration
	// Coalesced counts node changes no execution status showed (a later phase of the action came first).
	Coalesced int
	// Writes and Transitions per execution (same order).
	Writes, Transitions []int
	// PlanWrites per execution (plan lock and plan status).
	PlanWrites []int
	Wall       time.Duration
	// OperatorCPU during the batch.
	OperatorCPU time.Duration
	Load        float64
	Error       string
	// Throttled counts the operator's "client-side throttling" log lines during the batch (client-go's rate
	// limiter, 20 requests per second and bursts of 30 by default, delayed its requests).
	Throttled int
}

// Scale is figure 3.
type Scale struct {
	// Concurrent executions of ConcurrentShape, all at once.
	Concurrent      int
	ConcurrentShape Shape
	Succeeded       int
	Lost            []string // executions that did not end Succeeded, with their phase
	ConcurrentWall  time.Duration
	// Operator CPU during the batch, and its memory: RSS before and peak during, and the process's VmHWM after.
	ConcurrentCPU           time.Duration
	RSSBefore, RSSPeak, HWM int64
	ConcurrentLoad          float64
	ConcurrentError         string
	ConcurrentThrottled     int // as LagBatch.Throttled
	// Big is the largest workflow, through the operator.
	Big Run
	// BigRSSPeak is the operator's peak RSS during Big.
	BigRSSPeak int64
	// BigSucceeded counts the Succeeded actions of Big's execution status at its end.
	BigSucceeded int
	// Compressed is Big run again with the workflow-controller's MAX_WORKFLOW_SIZE at CompressAt bytes, below
	// Big's size, so that Argo compresses its node status (-max-workflow-size); nil when not run.
	Compressed          *Run
	CompressAt          int
	CompressedSucceeded int // as BigSucceeded
}

// EtcdLimit is etcd's default request size limit (--max-request-bytes, 1.5 MiB), which bounds an object.
const EtcdLimit = 1572864
