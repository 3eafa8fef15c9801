package translator

import "sort"

// dependencyGraph is a DAG over node indexes. deps[i] lists the nodes i waits for. Nodes are identified by
// their position in the source list, so every walk below is deterministic.
type dependencyGraph struct {
	names []string
	deps  [][]int
}

// findCycle returns the node names of one dependency cycle, first node repeated at the end
// (a -> b -> a), or nil when the graph is acyclic. It starts from the lowest index so the answer is stable.
func (g dependencyGraph) findCycle() []string {
	const (
		unvisited = iota
		inProgress
		done
	)
	state := make([]int, len(g.names))
	stack := make([]int, 0, len(g.names))
	var cycle []string
	var visit func(n int) bool
	visit = func(n int) bool {
		state[n] = inProgress
		stack = append(stack, n)
		for _, d := range g.deps[n] {
			switch state[d] {
			case inProgress:
				start := 0
				for i, s := range stack {
					if s == d {
						start = i
						break
					}
				}
				for _, s := range stack[start:] {
					cycle = append(cycle, g.names[s])
				}
				cycle = append(cycle, g.names[d])
				return true
			case unvisited:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	for n := range g.names {
		if state[n] == unvisited && visit(n) {
			return cycle
		}
	}
	return nil
}

// topologicalOrder is Kahn's algorithm, always taking the lowest ready index: dependencies come first and
// ties keep source order. ok is false on a cycle.
func (g dependencyGraph) topologicalOrder() (order []int, ok bool) {
	n := len(g.names)
	pending := make([]int, n)
	dependents := make([][]int, n)
	for i, ds := range g.deps {
		pending[i] = len(ds)
		for _, d := range ds {
			dependents[d] = append(dependents[d], i)
		}
	}
	ready := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if pending[i] == 0 {
			ready = append(ready, i)
		}
	}
	order = make([]int, 0, n)
	for len(ready) > 0 {
		next := ready[0]
		ready = ready[1:]
		order = append(order, next)
		added := false
		for _, m := range dependents[next] {
			pending[m]--
			if pending[m] == 0 {
				ready = append(ready, m)
				added = true
			}
		}
		if added {
			sort.Ints(ready)
		}
	}
	return order, len(order) == n
}
