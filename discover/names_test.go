package discover

import (
	"slices"
	"strings"
	"testing"

	"lethe"
	"lethe/dialect/dialecttest"
)

func TestWordsAndSingular(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		words    []string
		singular string
	}{
		{"users", []string{"users"}, "user"},
		{"people", []string{"people"}, "person"},
		{"survey_participants", []string{"survey", "participants"}, "survey_participant"},
		{"companies", []string{"companies"}, "company"},
		{"addresses", []string{"addresses"}, "address"},
		{"boxes", []string{"boxes"}, "box"},
		{"status", []string{"status"}, "status"},
		{"answer_metadata", []string{"answer", "metadata"}, "answer_metadata"},
		{"UserAccounts", []string{"user", "accounts"}, "UserAccount"},
		{"firstName", []string{"first", "name"}, "firstName"},
		{"HTTPLogs", []string{"http", "logs"}, "HTTPLog"},
		{`Odd "Clients"`, []string{"odd", "clients"}, `Odd "Client"`},
	} {
		if got := words(tt.name); !slices.Equal(got, tt.words) {
			t.Errorf("words(%q) = %q, want %q", tt.name, got, tt.words)
		}
		if got := singular(tt.name); got != tt.singular {
			t.Errorf("singular(%q) = %q, want %q", tt.name, got, tt.singular)
		}
	}
}

func TestNameKind(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		column string
		kind   kind
		reach  reach
	}{
		{"email", kindEmail, anywhere},
		{"requester_email", kindEmail, anywhere},
		{"EmailAddress", kindEmail, anywhere},
		{"email_verified_at", kindNone, anywhere},
		{"email_subject", kindNone, anywhere},
		{"first_name", kindName, anywhere},
		{"performed_by_name", kindName, anywhere},
		{"surname", kindName, anywhere},
		{"company_name", kindNone, anywhere},
		{"name", kindName, peopleRows},
		{"account", kindHandle, peopleRows},
		{"phone", kindPhone, anywhere},
		{"mobile_number", kindPhone, anywhere},
		{"phone_country", kindNone, anywhere},
		{"street", kindAddress, anywhere},
		{"postal_code", kindAddress, anywhere},
		{"ip_address", kindIP, anywhere},
		{"signup_ip", kindIP, anywhere},
		{"date_of_birth", kindBirth, anywhere},
		{"dob", kindBirth, anywhere},
		{"ssn", kindNationalID, anywhere},
		{"tax_id", kindNationalID, anywhere},
		{"passport_number", kindNationalID, anywhere},
		{"customer_id", kindExternalID, peopleRows},
		{"comment", kindFreeText, personalRows},
		{"contact_notes", kindFreeText, personalRows},
		{"created_at", kindNone, anywhere},
		{"status", kindNone, anywhere},
	} {
		if k, r := nameKind(tt.column); k != tt.kind || r != tt.reach {
			t.Errorf("nameKind(%q) = %v, %v; want %v, %v", tt.column, k, r, tt.kind, tt.reach)
		}
	}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		values []string
		kind   kind
		why    string
	}{
		{"emails", []string{"a@example.com", "b@example.org", "c@example.net", "n/a"}, kindEmail, "3 of 4 sampled values are email addresses"},
		{"phones", []string{"+44 20 7946 0958", "(212) 736-5000", "06 12 34 56 78"}, kindPhone, "3 of 3 sampled values are phone numbers"},
		{"ips", []string{"203.0.113.7", "2001:db8::1"}, kindIP, "2 of 2 sampled values are IP addresses"},
		{"mixed", []string{"a@example.com", "+44 20 7946 0958", "plain"}, kindFreeText, "2 of 3 sampled values hold email addresses or phone numbers"},
		{"notes", []string{"call me at bob@example.org", "nothing here", "ok"}, kindFreeText, "1 of 3 sampled values hold email addresses"},
		{"codes", []string{"BTC", "2024-03-01", "12345678", "v1.2.3", "3.14159265", "ORD-2024-000123"}, kindNone, ""},
		{"empty", nil, kindNone, ""},
	} {
		if v := judge(tt.values); v.kind != tt.kind || v.why != tt.why {
			t.Errorf("%s: judge = %v %q, want %v %q", tt.name, v.kind, v.why, tt.kind, tt.why)
		}
	}
}

func TestCategoryOf(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]*category{
		"sessions": catSessions, "user_sessions": catSessions, "password_resets": catTokens, "api_tokens": catTokens,
		"invitations": catInvitations, "consents": catConsents, "audit_logs": catAudit, "identity_events": catIdentity,
		"login_events": catIdentity, "sign_ins": catIdentity, "support_tickets": catTickets, "ticket_messages": catTickets,
		"webhook_events": catLogs, "users": nil, "auth_providers": nil, "orders": nil,
	} {
		if got := categoryOf(name); got != want {
			t.Errorf("categoryOf(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestWithoutPassword(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, out string }{
		{"sqlite://app.db", "sqlite://app.db"},
		{"postgres://lethe:s3cret@db:5432/app?sslmode=require", "postgres://lethe@db:5432/app?sslmode=require"},
		{"postgres://db/app?password=s3cret&user=lethe", "postgres://db/app?user=lethe"},
		{"mysql://root:s3cret@tcp(127.0.0.1:3306)/app", "mysql://root@tcp(127.0.0.1:3306)/app"},
		{"mysql://root@tcp(127.0.0.1:3306)/app", "mysql://root@tcp(127.0.0.1:3306)/app"},
	} {
		got, cut := withoutPassword(tt.in)
		if got != tt.out || cut != (got != tt.in) {
			t.Errorf("withoutPassword(%q) = %q, %v; want %q", tt.in, got, cut, tt.out)
		}
	}
}

// TestDraftOddNames drafts from names only quoting reaches, and a personal
// column no mask fits: the draft still loads and binds, and says why the
// column has no mask.
func TestDraftOddNames(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		table := `Odd "Clients"`
		exec(t, d, "CREATE TABLE "+d.Quote(table)+" (id BIGINT NOT NULL PRIMARY KEY, "+d.Quote("E-Mail")+" VARCHAR(200), "+
			d.Quote("Weird`Notes")+" TEXT, birth_date DATE NOT NULL, "+d.Quote("yes")+" VARCHAR(100))")
		exec(t, d, "INSERT INTO "+d.Quote(table)+" (id, "+d.Quote("E-Mail")+", "+d.Quote("Weird`Notes")+", birth_date, "+d.Quote("yes")+
			") VALUES (1, 'x@example.com', 'ring +44 20 7946 0958', '1990-01-01', 'a@example.com')")
		_, p, text := draft(t, d, Options{})
		compare(t, describe(p), []string{
			`subject Odd "Client": table Odd "Clients", key id`,
			`field Odd "Clients".E-Mail: email`,
			"field Odd \"Clients\".Weird`Notes: redact",
			`field Odd "Clients".yes: email`,
		}, text)
		if !hasLine(text, "# birth_date: name looks like a birth date, but it is a NOT NULL date column, which no mask empties; no mask proposed, review it") {
			t.Errorf("the draft does not say why birth_date has no mask:\n%s", numbered(text))
		}
	})
}

func TestDraftEmptyDatabase(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		prop, p, text := draft(t, d, Options{})
		if len(p.Subjects)+len(p.Datasets)+len(prop.Skipped) != 0 || !strings.HasPrefix(text, "# DRAFT policy") {
			t.Errorf("draft of an empty database:\n%s", text)
		}
		if p.Version != 1 || p.Guard != lethe.DefaultGuard {
			t.Errorf("policy = %+v", p)
		}
	})
}
