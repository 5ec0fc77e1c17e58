package records

import (
	"net/http"
	"reflect"
	"testing"

	"fastcms/internal/apierr"
)

// TestWriteErrorsAreNeutral: the errors of writes name the parts of the
// plan neutrally, and as an adapter's names make them, validation fields
// included (a 422 whose field keys are renamed).
func TestWriteErrorsAreNeutral(t *testing.T) {
	gql := map[Part]string{PartObjects: "objects", PartSet: "_set", PartInc: "_inc", PartUpdates: "updates", PartAtMost: "at_most"}
	for _, tc := range []struct {
		err          error
		neutral, gql *apierr.Error
	}{
		{noOperator(PartSet, ""),
			apierr.BadRequest("give set or inc"), apierr.BadRequest("give _set or _inc")},
		{noOperator(PartUpdates, "{updates}.2"),
			apierr.BadRequest("updates.2: give set or inc"), apierr.BadRequest("updates.2: give _set or _inc")},
		{partError(PartAtMost, "{at_most} must not be negative"),
			apierr.BadRequest("at_most must not be negative"), apierr.BadRequest("at_most must not be negative")},
		{prefixFields(apierr.InvalidField("title", "required"), PartObjects, "{objects}.1."),
			apierr.InvalidField("objects.1.title", "required"), apierr.InvalidField("objects.1.title", "required")},
		{prefixFields(apierr.Invalid(map[string]string{"a": "x", "b": "y"}), PartUpdates, "{updates}.0."),
			apierr.Invalid(map[string]string{"updates.0.a": "x", "updates.0.b": "y"}), apierr.Invalid(map[string]string{"updates.0.a": "x", "updates.0.b": "y"})},
	} {
		if got := NamePlanError(tc.err, nil); !reflect.DeepEqual(got, tc.neutral) {
			t.Errorf("neutral: got %#v, want %#v", got, tc.neutral)
		}
		if got := NamePlanError(tc.err, gql); !reflect.DeepEqual(got, tc.gql) {
			t.Errorf("GraphQL: got %#v, want %#v", got, tc.gql)
		}
	}
	// An error without fields passes through prefixFields as it is.
	bad := apierr.New(http.StatusConflict, "conflict", "taken")
	if got := prefixFields(bad, PartObjects, "{objects}.0."); got != error(bad) {
		t.Errorf("prefixFields changed %v into %v", bad, got)
	}
}
