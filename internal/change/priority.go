package change

import "fmt"

// Priority is how a request shares the carrier's limit: urgent rows are sent before any normal
// row; among requests of one priority, rows take turns (see store.NewJob.Fair).
type Priority string

// The priorities of a request. The empty priority is normal.
const (
	PriorityNormal Priority = "normal"
	PriorityUrgent Priority = "urgent"
)

// ParsePriority reads a priority as the API and the wizard send it; "" is normal.
func ParsePriority(s string) (Priority, error) {
	switch Priority(s) {
	case "", PriorityNormal:
		return PriorityNormal, nil
	case PriorityUrgent:
		return PriorityUrgent, nil
	}
	return "", fmt.Errorf("priority %q: want %q or %q", s, PriorityNormal, PriorityUrgent)
}

// Urgent reports whether the priority is urgent.
func (p Priority) Urgent() bool { return p == PriorityUrgent }

// Words says the priority the way pages say it.
func (p Priority) Words() string {
	if p.Urgent() {
		return "urgent"
	}
	return "normal"
}
