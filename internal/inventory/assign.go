package inventory

import (
	"context"
	"strings"

	"github.com/idswap/idswap/internal/apperr"
	"github.com/idswap/idswap/internal/change"
	"github.com/idswap/idswap/internal/store"
)

// maxAssign is the most lines one "assign all matching" moves: more is a filter too wide to be
// meant, and one transaction too long for the database.
const maxAssign = 50000

// AddRule checks and stores an assignment rule: a group rule names a group, a custom field rule
// a field and its value, a default rule neither.
func (s *Service) AddRule(ctx context.Context, a store.Actor, r store.AssignmentRule) (int64, error) {
	r.FieldName, r.FieldValue = strings.TrimSpace(r.FieldName), strings.TrimSpace(r.FieldValue)
	switch r.Kind {
	case store.RuleGroup:
		if r.FieldValue == "" {
			return 0, apperr.E(apperr.Invalid, "a group rule needs the name of a ThingSpace device group")
		}
		r.FieldName = ""
	case store.RuleCustomField:
		if r.FieldName == "" || r.FieldValue == "" {
			return 0, apperr.E(apperr.Invalid, "a custom field rule needs the field's name and the value it holds")
		}
	case store.RuleDefault:
		r.FieldName, r.FieldValue = "", ""
	default:
		return 0, apperr.E(apperr.Invalid, "the rule kind must be group, custom_field or default, not %q", r.Kind)
	}
	if r.TenantID == 0 {
		return 0, apperr.E(apperr.Invalid, "choose the tenant the rule places lines in")
	}
	if r.Priority < 0 || r.Priority > 10000 {
		return 0, apperr.E(apperr.Invalid, "the priority must be between 0 and 10,000")
	}
	if err := change.CheckLen("The field name", r.FieldName, change.MaxRuleField); err != nil {
		return 0, err
	}
	if err := change.CheckLen("The value", r.FieldValue, change.MaxRuleValue); err != nil {
		return 0, err
	}
	return s.db.AddAssignmentRule(ctx, r, a)
}

// Unassigned lists a provider's lines no tenant has, as a filter selects them.
func (s *Service) Unassigned(ctx context.Context, f store.LineFilter) ([]store.CarrierLineRow, error) {
	f.UnassignedOnly = true
	return s.db.CarrierLines(ctx, f)
}

// AssignMatching puts every unassigned line a filter selects in a tenant, in one transaction:
// all or none (see store.AssignLines).
func (s *Service) AssignMatching(ctx context.Context, a store.Actor, f store.LineFilter, tenantID int64) (int, error) {
	f.UnassignedOnly, f.IDs, f.Limit = true, nil, maxAssign+1
	lines, err := s.db.CarrierLines(ctx, f)
	if err != nil {
		return 0, err
	}
	if len(lines) == 0 {
		return 0, apperr.E(apperr.Invalid, "no unassigned line matches the filter")
	}
	if len(lines) > maxAssign {
		return 0, apperr.E(apperr.Invalid, "more than %d lines match the filter; narrow it", maxAssign)
	}
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.CarrierID
	}
	placed, _, err := s.db.AssignLines(ctx, f.ProviderID, tenantID, ids, a)
	return placed, err
}

// Assign puts the chosen lines in a tenant; a line another tenant has an open change on is
// refused, and then none moves.
func (s *Service) Assign(ctx context.Context, a store.Actor, providerID, tenantID int64, carrierIDs []int64) (placed, moved int, err error) {
	if tenantID == 0 {
		return 0, 0, apperr.E(apperr.Invalid, "choose the tenant to assign the lines to")
	}
	if len(carrierIDs) == 0 {
		return 0, 0, apperr.E(apperr.Invalid, "select the lines to assign")
	}
	return s.db.AssignLines(ctx, providerID, tenantID, carrierIDs, a)
}

// Rules lists a provider's assignment rules in the order a sync tries them.
func (s *Service) Rules(ctx context.Context, providerID int64) ([]store.AssignmentRule, error) {
	return s.db.AssignmentRules(ctx, providerID)
}

// DeleteRule removes a rule; the lines it placed stay where they are.
func (s *Service) DeleteRule(ctx context.Context, a store.Actor, id int64) error {
	return s.db.DeleteAssignmentRule(ctx, id, a)
}
