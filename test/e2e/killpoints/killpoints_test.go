//go:build e2e

package killpoints

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	drv1 "github.com/drplan/drplan-operator/api/v1alpha1"
	"github.com/drplan/drplan-operator/test/managerproc"
	"github.com/drplan/drplan-operator/test/testenv"
)

// The scenarios each round runs on both engines, all at once; every kill hits every run still going.
const (
	kindExecute  = "execute"  // hook -> Job -> hook, then a Revert of it
	kindRollback = "rollback" // hook (undoable) -> a hook answering 500, plan failurePolicy Rollback
	kindApproval = "approval" // hook -> Approval -> hook, approved by annotation after a restart
	kindCancel   = "cancel"   // hook -> Approval -> hook, canceled by annotation after a restart
)

// minKills is the number of kill points the spec reaches before it stops starting rounds; killsPerRound bounds
// the kills of one round, after which the round's runs finish with the operator left alone.
const (
	minKills      = 24
	killsPerRound = 8
)

// run is one scenario on one engine: its namespace, what it has seen, and its executions.
type run struct {
	kind   string
	engine drv1.ExecutorType
	ns     string
	// reverted: the Revert of an execute run was created. acted: the approve or cancel annotation was set.
	reverted, acted bool
	// gateWaits counts kills while the Approval gate was Running (a kill during the wait).
	gateWaits int
	done      bool
}

func (r *run) String() string { return r.kind + "/" + string(r.engine) + "(" + r.ns + ")" }

// killPoint is one SIGKILL: when it came and what each run was doing.
type killPoint struct {
	n      int
	mode   string
	states []string
}

var _ = Describe("bin/manager SIGKILLed at seeded points, on both engines", func() {
	It("leaves one Workflow per run, no Job twice, at most retries+1 HTTP calls with one key, and a right, explained status", func() {
		seed := uint64(time.Now().UnixNano())
		if s := os.Getenv("DRPLAN_KILL_SEED"); s != "" {
			var err error
			seed, err = strconv.ParseUint(s, 10, 64)
			Expect(err).NotTo(HaveOccurred(), "DRPLAN_KILL_SEED")
		}
		AddReportEntry("seed", seed)
		fmt.Fprintf(GinkgoWriter, "kill points: seed %d (DRPLAN_KILL_SEED=%d reproduces this run)\n", seed, seed)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		d := &driver{rng: rng, seed: seed}
		d.start()
		defer func() { d.proc.Kill() }()

		var points []killPoint
		var all []*run
		for round := 0; len(points) < minKills && round < 6; round++ {
			runs := d.newRound()
			all = append(all, runs...)
			for k := 0; k < killsPerRound && !allDone(runs); k++ {
				d.step(runs)
				if allDone(runs) {
					break
				}
				points = append(points, d.kill(runs, len(points)+1))
				fmt.Fprintf(GinkgoWriter, "kill %d (%s): %s\n", len(points), points[len(points)-1].mode, strings.Join(points[len(points)-1].states, "; "))
			}
			// The last restart must still approve, cancel and revert what is left.
			Eventually(func() bool {
				d.step(runs)
				d.answerGates(runs, 1)
				return allDone(runs)
			}).Should(BeTrue(), func() string {
				var states []string
				for _, r := range runs {
					states = append(states, state(r))
				}
				return fmt.Sprintf("seed %d: runs of round %d finished: %s", seed, round, strings.Join(states, "; "))
			})
			for _, r := range runs {
				d.check(r)
			}
		}
		Expect(len(points)).To(BeNumerically(">=", 20), "seed %d: kill points", seed)
		// Every scenario on every engine was killed under at least once, and some kills fell in an approval wait.
		under := map[string]int{}
		for _, p := range points {
			for _, s := range p.states {
				under[strings.SplitN(s, " ", 2)[0]]++
			}
		}
		for _, k := range []string{kindExecute, "revert", kindRollback, kindApproval, kindCancel} {
			for _, e := range []drv1.ExecutorType{drv1.ExecutorArgo, drv1.ExecutorNative} {
				Expect(under[k+"/"+string(e)]).To(BeNumerically(">", 0), "seed %d: no kill while a %s run on %s was going", seed, k, e)
			}
		}
		waits := 0
		for _, r := range all {
			waits += r.gateWaits
		}
		Expect(waits).To(BeNumerically(">", 0), "seed %d: no kill during an approval wait", seed)
		var b strings.Builder
		fmt.Fprintf(&b, "seed %d: %d kill points over %d runs, %d in approval waits\n", seed, len(points), len(all), waits)
		for _, p := range points {
			fmt.Fprintf(&b, "  kill %d (%s): %s\n", p.n, p.mode, strings.Join(p.states, "; "))
		}
		AddReportEntry("kill points", b.String())
		fmt.Fprint(GinkgoWriter, b.String())
	})
})

// driver owns the operator process and the seeded source.
type driver struct {
	rng  *rand.Rand
	seed uint64
	proc *managerproc.Process
	// starts counts operator starts (the log names each).
	starts int
}

func (d *driver) start() {
	GinkgoHelper()
	kubeconfig := filepath.Join(artifactsDir, "operator.kubeconfig")
	Expect(managerproc.WriteKubeconfig(kubeconfig, opConfig)).To(Succeed())
	d.starts++
	var err error
	d.proc, err = managerproc.Start(managerBinary, filepath.Join(artifactsDir, "manager.log"), "--kubeconfig", kubeconfig,
		"--enable-webhooks=false", "--default-executor=argo", "--health-probe-bind-address=0", "--metrics-bind-address=0")
	Expect(err).NotTo(HaveOccurred())
	// Seeded delays count from when this start's execution workers run (its caches synced): a kill before that
	// tests only the start-up.
	Eventually(func() int {
		b, _ := os.ReadFile(filepath.Join(artifactsDir, "manager.log"))
		return strings.Count(string(b), executionWorkersStarted)
	}).Should(Equal(d.starts), "operator start %d ready (log %s/manager.log)", d.starts, artifactsDir)
}

// executionWorkersStarted is what controller-runtime logs when the execution reconciler's workers start.
const executionWorkersStarted = `Starting workers	{"controller": "drplanexecution"`

// newRound sets up the four scenarios on both engines and starts their executions.
func (d *driver) newRound() []*run {
	GinkgoHelper()
	var runs []*run
	for _, e := range []drv1.ExecutorType{drv1.ExecutorArgo, drv1.ExecutorNative} {
		for _, k := range []string{kindExecute, kindRollback, kindApproval, kindCancel} {
			r := &run{kind: k, engine: e, ns: newNamespace("kill-" + k)}
			policy := drv1.PlanFailurePolicy("")
			var actions []drv1.Action
			switch k {
			case kindExecute:
				actions = []drv1.Action{undoable(r.ns, "a"), jobAction("j", r.ns, "a"), undoable(r.ns, "b", "j")}
			case kindRollback:
				policy = drv1.PlanRollback
				boom := hookAction(r.ns, "boom", "a")
				boom.RetryPolicy.Limit = 1
				actions = []drv1.Action{undoable(r.ns, "a"), boom}
			default:
				actions = []drv1.Action{hookAction(r.ns, "a"), approvalAction("gate", "a"), hookAction(r.ns, "b", "gate")}
			}
			createPlan(r.ns, e, policy, actions...)
			Expect(k8sClient.Create(ctx, testenv.Execution(r.ns, "run", "p"))).To(Succeed())
			runs = append(runs, r)
		}
	}
	return runs
}

func allDone(runs []*run) bool {
	return !slices.ContainsFunc(runs, func(r *run) bool { return !r.done })
}

func getExecution(ns, name string) (*drv1.DRPlanExecution, bool) {
	ex := &drv1.DRPlanExecution{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, ex); err != nil {
		return nil, false
	}
	return ex, true
}

func terminal(p drv1.ExecutionPhase) bool {
	return p == drv1.ExecutionSucceeded || p == drv1.ExecutionFailed || p == drv1.ExecutionCanceled
}

// state is what a run is doing, for the kill log and the condition kill points: the current execution, its
// phase and its actions' phases.
func state(r *run) string {
	name, kind := "run", r.kind
	if r.reverted {
		name, kind = "undo", "revert"
	}
	ex, ok := getExecution(r.ns, name)
	if !ok {
		return kind + "/" + string(r.engine) + " absent"
	}
	var acts []string
	for _, st := range ex.Status.StageStatuses {
		for _, w := range st.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				acts = append(acts, a.Name+"="+string(a.Phase))
			}
		}
	}
	return fmt.Sprintf("%s/%s %s[%s]", kind, r.engine, ex.Status.Phase, strings.Join(acts, ","))
}

func gateRunning(ex *drv1.DRPlanExecution) bool {
	for _, st := range ex.Status.StageStatuses {
		for _, w := range st.WorkflowExecutions {
			if a, ok := testenv.ActionNamed(w.ActionStatuses, "gate"); ok && a.Phase == drv1.ActionRunning {
				return true
			}
		}
	}
	return false
}

// step moves the runs on as a person would: a Revert once an execute run Succeeded; marks runs done.
func (d *driver) step(runs []*run) {
	GinkgoHelper()
	for _, r := range runs {
		ex, ok := getExecution(r.ns, "run")
		if !ok || r.done {
			continue
		}
		if r.kind == kindExecute {
			if ex.Status.Phase == drv1.ExecutionSucceeded && !r.reverted {
				Expect(k8sClient.Create(ctx, testenv.Revert(r.ns, "undo", "p", "run"))).To(Succeed())
				r.reverted = true
			}
			if u, ok := getExecution(r.ns, "undo"); ok && terminal(u.Status.Phase) {
				r.done = true
			}
			if terminal(ex.Status.Phase) && ex.Status.Phase != drv1.ExecutionSucceeded {
				r.done = true // check says what went wrong
			}
			continue
		}
		r.done = terminal(ex.Status.Phase)
	}
}

// kill waits for a seeded point, SIGKILLs the operator, does what a person does while it is down (approve or
// cancel a run whose gate has been waiting across a kill), and starts it again after a seeded pause.
func (d *driver) kill(runs []*run, n int) killPoint {
	GinkgoHelper()
	p := killPoint{n: n}
	var going []*run
	for _, r := range runs {
		if !r.done {
			going = append(going, r)
		}
	}
	if d.rng.IntN(2) == 0 {
		delay := time.Duration(300+d.rng.IntN(2700)) * time.Millisecond
		p.mode = "after " + delay.String()
		time.Sleep(delay)
	} else {
		// When the seeded run's status next changes (the operator wrote it), or 10 s.
		r := going[d.rng.IntN(len(going))]
		p.mode = "when " + r.kind + "/" + string(r.engine) + " changed"
		before := state(r)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && state(r) == before; {
			time.Sleep(50 * time.Millisecond)
		}
	}
	Expect(d.proc.Exited()).To(BeFalse(), "seed %d: the operator exited by itself before kill %d (log %s/manager.log)", d.seed, n, artifactsDir)
	d.proc.Kill()
	for _, r := range going {
		if !r.done {
			p.states = append(p.states, state(r))
		}
		if ex, ok := getExecution(r.ns, "run"); ok && gateRunning(ex) {
			r.gateWaits++
		}
	}
	// A person answers a gate while no operator runs; the next one must act on it.
	d.answerGates(going, 2)
	time.Sleep(time.Duration(d.rng.IntN(1500)) * time.Millisecond)
	d.start()
	return p
}

// answerGates approves or cancels each approval or cancel run whose gate has waited across at least kills kills.
func (d *driver) answerGates(runs []*run, kills int) {
	GinkgoHelper()
	for _, r := range runs {
		if r.acted || r.gateWaits < kills || (r.kind != kindApproval && r.kind != kindCancel) {
			continue
		}
		ex, ok := getExecution(r.ns, "run")
		if !ok || !gateRunning(ex) {
			continue
		}
		key, value := drv1.AnnotationApprove, "gate"
		if r.kind == kindCancel {
			key, value = drv1.AnnotationCancel, "true"
		}
		Expect(k8sClient.Patch(ctx, ex, client.RawPatch(types.MergePatchType,
			[]byte(`{"metadata":{"annotations":{"`+key+`":"`+value+`"}}}`)))).To(Succeed())
		r.acted = true
	}
}

// check asserts a finished run's side effects and status.
func (d *driver) check(r *run) {
	GinkgoHelper()
	why := func() string {
		return fmt.Sprintf("seed %d, %s: workflows %v, jobs %v, state %s", d.seed, r, effects.Workflows(r.ns), effects.Jobs(r.ns), state(r))
	}
	ex, _ := getExecution(r.ns, "run")
	Expect(ex).NotTo(BeNil(), why())
	explained(ex, why)

	// One Workflow per run (Argo engine), none on the native engine; no Job created twice.
	wantRuns := map[string]int{}
	if r.engine == drv1.ExecutorArgo {
		wantRuns["run/Execute/w"] = 1
		switch r.kind {
		case kindExecute:
			wantRuns["undo/Revert/w"] = 1
		case kindRollback:
			wantRuns["run/Revert/w"] = 1
		}
	}
	Expect(effects.Workflows(r.ns)).To(Equal(wantRuns), why())
	for name, n := range effects.Jobs(r.ns) {
		Expect(n).To(Equal(1), "Job %s created %d times; %s", name, n, why())
	}

	calls := func(action string, min, max int) {
		keys := hooks.Keys("/" + r.ns + "/" + action)
		// A call whose answer never reached the operator (killed while it waited) may be made again after the
		// restart, with the same key: the native engine's at-least-once (docs/reliability.md, kill points).
		// Argo's agent does not die with the operator, so there it must be 0.
		aborted := hooks.Aborted("/" + r.ns + "/" + action)
		if r.engine == drv1.ExecutorArgo {
			Expect(aborted).To(BeZero(), "calls of %s cut short; %s", action, why())
		}
		Expect(len(keys)).To(And(BeNumerically(">=", min), BeNumerically("<=", max+aborted)),
			"calls of %s (%d cut short by a kill); %s", action, aborted, why())
		if len(keys) > 0 {
			Expect(slices.Compact(slices.Clone(keys))).To(HaveLen(1), "one idempotency key for %s: %v; %s", action, keys, why())
			Expect(keys[0]).NotTo(BeEmpty(), why())
		}
	}
	most := httpRetries + 1
	switch r.kind {
	case kindExecute:
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionSucceeded), why())
		undo, _ := getExecution(r.ns, "undo")
		Expect(undo).NotTo(BeNil(), why())
		Expect(undo.Status.Phase).To(Equal(drv1.ExecutionSucceeded), why())
		explained(undo, why)
		calls("a", 1, most)
		calls("b", 1, most)
		calls("a-undo", 1, most)
		calls("b-undo", 1, most)
		Expect(effects.Jobs(r.ns)).To(HaveLen(1), "the Job action's one Job; %s", why())
	case kindRollback:
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionFailed), why())
		Expect(meta.IsStatusConditionTrue(ex.Status.Conditions, drv1.ConditionRolledBack)).To(BeTrue(), why())
		calls("a", 1, most)
		calls("boom", 1, 2)
		calls("a-undo", 1, most)
	case kindApproval:
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionSucceeded), why())
		calls("a", 1, most)
		calls("b", 1, most)
		gate := action(ex, "gate")
		Expect(gate.Approval).NotTo(BeNil(), why())
		Expect(gate.Approval.Via).To(Equal(drv1.ApprovalViaAnnotation), why())
	case kindCancel:
		Expect(ex.Status.Phase).To(Equal(drv1.ExecutionCanceled), why())
		calls("a", 1, most)
		calls("b", 0, 0)
		Expect(action(ex, "gate").Phase).NotTo(Equal(drv1.ActionSucceeded), why())
	}
}

func action(ex *drv1.DRPlanExecution, name string) drv1.ActionStatus {
	GinkgoHelper()
	Expect(ex.Status.StageStatuses).NotTo(BeEmpty())
	Expect(ex.Status.StageStatuses[0].WorkflowExecutions).NotTo(BeEmpty())
	a, ok := testenv.ActionNamed(ex.Status.StageStatuses[0].WorkflowExecutions[0].ActionStatuses, name)
	Expect(ok).To(BeTrue(), "no action %s", name)
	return a
}

// explained: a finished execution has a completion time, no action left Pending or Running, and a Completed
// condition whose reason is the phase and whose message says something.
func explained(ex *drv1.DRPlanExecution, why func() string) {
	GinkgoHelper()
	Expect(terminal(ex.Status.Phase)).To(BeTrue(), why())
	Expect(ex.Status.CompletionTime).NotTo(BeNil(), why())
	c := meta.FindStatusCondition(ex.Status.Conditions, drv1.ConditionCompleted)
	Expect(c).NotTo(BeNil(), why())
	reason := string(ex.Status.Phase)
	if meta.IsStatusConditionTrue(ex.Status.Conditions, drv1.ConditionRolledBack) {
		reason = drv1.ReasonRolledBack // a plan Rollback says so in the reason
	}
	Expect(c.Reason).To(Equal(reason), why())
	Expect(c.Message).NotTo(BeEmpty(), why())
	for _, st := range ex.Status.StageStatuses {
		for _, w := range st.WorkflowExecutions {
			for _, a := range w.ActionStatuses {
				Expect(a.Phase).NotTo(BeElementOf(drv1.ActionPending, drv1.ActionRunning), "action %s; %s", a.Name, why())
			}
		}
	}
}
