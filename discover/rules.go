package discover

import (
	"fmt"
	"strings"

	"lethe"
	"lethe/dialect"
)

// findFields proposes a mask for every personal column: by name where the
// name settles it, else by what the sample showed, else by a name that is
// personal only in a table about people.
func (a *analysis) findFields() {
	for _, t := range a.tables {
		personalRows := t.owned() || t.cat != nil
		for _, c := range t.t.Columns {
			if t.isPK(c.Name) || t.fkCols[c.Name] != nil || a.isTenant(c.Name) || isBool(c) ||
				(t.owner != nil && t.owner.column == c) {
				continue
			}
			k, r := nameKind(c.Name)
			why := "name looks like " + kindText[k]
			if k == kindExternalID {
				why = kindText[k]
			}
			switch v, sampled := t.sampled[c.Name]; {
			case k != kindNone && r == anywhere:
			case sampled:
				k, why = v.kind, v.why
			case k == kindFreeText && personalRows:
			case (k == kindName || k == kindHandle || k == kindExternalID) && t.subject != nil:
				if k == kindExternalID {
					if to, _ := a.guessTarget(t, c); to != nil {
						continue // names another table: a link, not an identifier from elsewhere
					}
				}
			default:
				continue
			}
			mask, note, ok := maskFor(k, c)
			if !ok {
				t.notes = append(t.notes, fmt.Sprintf("%s: %s, but %s; no mask proposed, review it", c.Name, why, note))
				continue
			}
			if note != "" {
				why += "; " + note
			}
			t.fields = append(t.fields, Field{Column: c.Name, Mask: mask, Why: why})
		}
	}
}

// Clock columns by what they record, in order of preference.
var (
	activityClocks = []string{"last_login_at", "last_seen_at", "last_active_at", "last_activity_at", "last_sign_in_at",
		"last_signed_in_at", "last_login", "last_seen", "last_sign_in", "last_access_at", "last_accessed_at", "last_login_on",
		"current_sign_in_at", "last_visit_at", "last_visited_at", "last_used_at"}
	createdClocks = []string{"created_at", "created", "created_on", "inserted_at", "date_joined", "joined_at", "registered_at",
		"signed_up_at", "signup_at", "creation_date", "create_time", "created_time", "created_date"}
	eventClocks = append([]string{"occurred_at", "happened_at"}, append(createdClocks,
		"logged_at", "recorded_at", "sent_at", "received_at", "timestamp", "event_time", "at", "ts", "time")...)
	expiryClocks  = []string{"expires_at", "expires", "expiry", "expiry_at", "expires_on", "expire_at", "valid_until", "expiration", "expiration_date", "expiry_date"}
	revokedClocks = []string{"revoked_at", "withdrawn_at", "revoked_on", "withdrawn_on", "revoked", "withdrawn"}
	deactStamps   = []string{"deactivated_at", "disabled_at", "suspended_at", "deactivated_on", "disabled_on", "inactive_since"}
	anonStamps    = []string{"anonymized_at", "anonymised_at", "anonymized_on", "anonymised_on", "pseudonymized_at"}
	softDeletes   = []string{"deleted_at", "deleted_on", "removed_at", "trashed_at"}
	activeFlags   = []string{"active", "is_active", "enabled", "is_enabled", "can_login", "login_enabled"}
	inactiveFlags = []string{"disabled", "is_disabled", "suspended", "is_suspended", "deactivated", "is_deactivated", "inactive", "is_inactive"}
	unixSuffixes  = []string{"_unix", "_epoch", "_ts", "_ms", "_millis", "_seconds", "_secs"}
)

// clock finds the first column of t, by the order of names, that can serve
// as a clock: a time type (or text, where the database keeps times as
// text), or an integer read as Unix time.
func (a *analysis) clock(t *table, names []string) *lethe.ClockColumn {
	for _, want := range names {
		for _, c := range t.t.Columns {
			n, base, suffix := norm(c.Name), norm(c.Name), ""
			for _, s := range unixSuffixes {
				if b, ok := strings.CutSuffix(n, s); ok {
					base, suffix = b, s
					break
				}
			}
			if n != want && base != want {
				continue
			}
			switch {
			case c.IsInteger():
				return &lethe.ClockColumn{Name: c.Name, Unit: a.unixUnit(t, c, suffix)}
			case a.s.HoldsTime(c):
				return &lethe.ClockColumn{Name: c.Name}
			}
		}
	}
	return nil
}

// unixUnit says whether an integer clock counts seconds or milliseconds,
// by its name or else by the size of its values.
func (a *analysis) unixUnit(t *table, c *dialect.Column, suffix string) lethe.ClockUnit {
	switch suffix {
	case "_ms", "_millis":
		return lethe.ClockMilliseconds
	case "_seconds", "_secs":
		return lethe.ClockSeconds
	}
	if a.opts.Sample < 0 {
		return lethe.ClockSeconds
	}
	values, err := sampleColumn(a.ctx, a.d, t.t.Name, c.Name, a.opts.Sample)
	if err != nil {
		a.fail(err)
		return lethe.ClockSeconds
	}
	return unixUnit(values)
}

// stampColumn finds a column that can record when a stage ran.
func (a *analysis) stampColumn(t *table, names []string) string {
	for _, want := range names {
		for _, c := range t.t.Columns {
			if norm(c.Name) == want && a.s.HoldsTime(c) {
				return c.Name
			}
		}
	}
	return ""
}

// flagColumn finds a column that says an account may sign in, and the
// value that says it may not.
func (a *analysis) flagColumn(t *table) *lethe.Assignment {
	for _, list := range []struct {
		names []string
		off   bool
	}{{activeFlags, false}, {inactiveFlags, true}} {
		for _, want := range list.names {
			for _, c := range t.t.Columns {
				if norm(c.Name) != want {
					continue
				}
				switch {
				case isBool(c):
					return &lethe.Assignment{Column: c.Name, Value: list.off}
				case c.IsInteger():
					v := int64(0)
					if list.off {
						v = 1
					}
					return &lethe.Assignment{Column: c.Name, Value: v}
				}
			}
		}
	}
	return nil
}

func clockText(cs []lethe.ClockColumn) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
		if c.Unit != lethe.ClockNative {
			names[i] += " (Unix " + string(c.Unit) + ")"
		}
	}
	return strings.Join(names, ", falling back to ")
}

func period(n int, u lethe.Unit) lethe.Period { return lethe.Period{N: n, Unit: u} }

func (a *analysis) findRules() {
	for _, t := range a.tables {
		if t.subject != nil {
			a.lifecycle(t)
			t.subject.SoftDelete = a.softDelete(t)
			continue
		}
		sd := a.softDelete(t)
		ret := a.retention(t)
		if t.ds == nil && (len(t.fields) > 0 || sd != nil || ret != nil) {
			t.ds = &Dataset{Name: t.name, Table: t.t.Name, Key: t.key}
		}
		if t.ds == nil {
			continue
		}
		ds := t.ds
		ds.Fields = t.fields
		ds.Notes = append(ds.Notes, t.notes...)
		if ds.Key == "" && (sd != nil || ret != nil) {
			ds.Notes = append(ds.Notes, "no retention or soft-delete rule: the table has no single-column primary key, and Lethe purges rows by key")
			sd, ret = nil, nil
		}
		ds.SoftDelete = sd
		ds.Retention = ret
		if ds.Owner == nil && ds.Retention == nil && len(ds.Fields) > 0 {
			ds.Notes = append(ds.Notes, "no owner and no retention rule: nothing masks these fields until the table is linked to a subject or given a rule")
		}
		if a.tenant != "" && ds.Owner == nil && t.column(a.tenant) == nil {
			ds.Notes = append(ds.Notes, fmt.Sprintf("no %s column and no owner: its rows belong to no tenant, and only a platform-wide run reaches them", a.tenant))
		}
	}
}

// lifecycle proposes the stages of a subject whose columns exist.
func (a *analysis) lifecycle(t *table) {
	s := t.subject
	activity := a.clock(t, activityClocks)
	created := a.clock(t, createdClocks)
	canMask := a.ownsFields(t)
	noMask := fmt.Sprintf("no anonymize stage: no personal field of %s or of the tables linked to it was recognised", s.Name)
	switch {
	case activity != nil:
		since := []lethe.ClockColumn{*activity}
		if created != nil {
			since = append(since, *created)
		}
		stamp := a.stampColumn(t, deactStamps)
		flag := a.flagColumn(t)
		if stamp == "" && flag == nil {
			s.Notes = append(s.Notes, fmt.Sprintf("no lifecycle: %s records activity (%s) but has no column to mark an account deactivated (a deactivated_at time, or an active or enabled flag); add one, then a deactivate stage, and anonymize and delete stages counting from it",
				t.t.Name, activity.Name))
			return
		}
		deact := Stage{Kind: lethe.StageDeactivate, After: period(6, lethe.Months), Since: since, Stamp: stamp}
		var writes []string
		if flag != nil {
			deact.Set = []lethe.Assignment{*flag}
			writes = append(writes, fmt.Sprintf("sets %s = %v", flag.Column, flag.Value))
		}
		if stamp != "" {
			writes = append(writes, "stamps "+stamp)
		}
		deact.Why = fmt.Sprintf("6 months after the last activity (%s): %s", clockText(since), strings.Join(writes, " and "))
		if created == nil {
			deact.Why += "; rows whose clock is NULL never become due"
		}
		s.Lifecycle = append(s.Lifecycle, deact)
		anon := Stage{Kind: lethe.StageAnonymize, After: period(3, lethe.Months), Stamp: a.stampColumn(t, anonStamps)}
		del := Stage{Kind: lethe.StageDelete, After: period(24, lethe.Months)}
		if stamp != "" {
			anon.Since = []lethe.ClockColumn{{Name: stamp}}
			del.Since = anon.Since
			anon.Why = "3 months after deactivation (SPEC default)"
			del.Why = "24 months after deactivation (SPEC default)"
		} else {
			// Nothing records when deactivation ran: count from the same
			// clock, later than deactivation, as Validate requires.
			anon.After, del.After = period(9, lethe.Months), period(30, lethe.Months)
			anon.Since, del.Since = since, since
			anon.Why = "no column records when an account was deactivated, so this counts from the same clock: 3 months after deactivation"
			del.Why = "from the same clock: 24 months after deactivation"
		}
		if canMask {
			s.Lifecycle = append(s.Lifecycle, anon)
		} else {
			s.Notes = append(s.Notes, noMask)
		}
		s.Lifecycle = append(s.Lifecycle, del)
	case created != nil && surveyWords[lastWord(t.t.Name)]:
		since := []lethe.ClockColumn{*created}
		if canMask {
			s.Lifecycle = append(s.Lifecycle, Stage{Kind: lethe.StageAnonymize, After: period(1, lethe.Months), Since: since,
				Why: "survey participants have no account to deactivate: masked 1 month after creation (SPEC default)"})
		} else {
			s.Notes = append(s.Notes, noMask)
		}
		s.Lifecycle = append(s.Lifecycle, Stage{Kind: lethe.StageDelete, After: period(1, lethe.Years), Since: since,
			Why: "removed 1 year after creation (SPEC default)"})
	default:
		s.Notes = append(s.Notes, fmt.Sprintf("no lifecycle: %s has no last-activity column (such as last_login_at or last_seen_at), and counting from creation would reach people still active; add stages by hand", t.t.Name))
	}
}

func (a *analysis) softDelete(t *table) *SoftDelete {
	col := a.stampColumn(t, softDeletes)
	if col == "" {
		return nil
	}
	sd := &SoftDelete{Column: col, PurgeAfter: period(30, lethe.Days),
		Why: fmt.Sprintf("rows marked deleted in %s are purged 30 days later (SPEC default)", col)}
	if refs := a.referrers(t); len(refs) > 0 {
		sd.Why += fmt.Sprintf("; rows that point here (%s) are not purged with them: add cascade if they should be", strings.Join(refs, ", "))
	}
	return sd
}

// category is a kind of table with a retention default in SPEC section 1.
type category struct {
	name     string
	keep     lethe.Period
	clocks   [][]string // lists of clock names, the first list found wins
	schedule string
	why      string
	masks    bool // masks the rows' fields 6 months in
}

var (
	catSessions = &category{name: "sessions", keep: period(1, lethe.Days), clocks: [][]string{expiryClocks}, schedule: "daily",
		why: "sessions are purged a day after they expire (SPEC default)"}
	catTokens = &category{name: "tokens", keep: period(1, lethe.Days), clocks: [][]string{expiryClocks}, schedule: "daily",
		why: "tokens are purged a day after they expire (SPEC default)"}
	catInvitations = &category{name: "invitations", keep: period(90, lethe.Days), clocks: [][]string{expiryClocks, createdClocks}, schedule: "weekly",
		why: "invitations are purged 90 days after they expire (SPEC default)"}
	catConsents = &category{name: "consents", keep: period(2, lethe.Years), clocks: [][]string{revokedClocks}, schedule: "weekly",
		why: "consents are kept 2 years after they are revoked (SPEC default)"}
	catAudit = &category{name: "audit logs", keep: period(365, lethe.Days), clocks: [][]string{eventClocks}, schedule: "daily",
		why: "audit logs are kept 365 days (SPEC default)"}
	catIdentity = &category{name: "identity events", keep: period(24, lethe.Months), clocks: [][]string{eventClocks}, schedule: "daily",
		why: "identity and sign-in events are kept 24 months (SPEC default)"}
	catTickets = &category{name: "support tickets", keep: period(2, lethe.Years), clocks: [][]string{eventClocks}, schedule: "weekly", masks: true,
		why: "support tickets are kept 2 years (SPEC default)"}
	catLogs = &category{name: "logs and events", keep: period(365, lethe.Days), clocks: [][]string{eventClocks}, schedule: "daily",
		why: "logs and events are kept 365 days, as audit logs are: SPEC gives no default for this kind, review it"}
)

var (
	tokenWords    = set("token", "otp", "nonce", "magic_link", "reset")
	identityWords = set("identity", "auth", "authentication", "login", "signin", "sso", "mfa", "security")
	identityLast  = set("event", "log", "attempt", "history", "login", "signin")
)

// categoryOf recognises a table with a retention default by its name.
func categoryOf(name string) *category {
	ws := words(name)
	sing := make([]string, len(ws))
	has := map[string]bool{}
	for i, w := range ws {
		sing[i] = singularWord(w)
		has[sing[i]] = true
	}
	joined := strings.Join(sing, "_")
	lastW := last(sing)
	signIn := strings.Contains(joined, "sign_in")
	switch {
	case len(ws) == 0:
		return nil
	case has["session"]:
		return catSessions
	case hasAny(sing, tokenWords) || strings.Contains(joined, "magic_link"):
		return catTokens
	case has["invitation"] || has["invite"]:
		return catInvitations
	case has["consent"]:
		return catConsents
	case has["audit"]:
		return catAudit
	case (hasAny(sing, identityWords) || signIn) && (identityLast[lastW] || signIn):
		return catIdentity
	case has["ticket"] || has["support"] || has["helpdesk"]:
		return catTickets
	case lastW == "log" || lastW == "event" || lastW == "activity":
		return catLogs
	}
	return nil
}

// retention proposes t's retention rule when its name gives one and its
// clock exists.
func (a *analysis) retention(t *table) *Retention {
	cat := t.cat
	if cat == nil {
		return nil
	}
	var clock *lethe.ClockColumn
	fallback := false
	for i, names := range cat.clocks {
		if clock = a.clock(t, names); clock != nil {
			fallback = i > 0
			break
		}
	}
	if clock == nil {
		t.notes = append(t.notes, fmt.Sprintf("no retention rule: %s look like %s, but no clock column (%s) was found", t.t.Name, cat.name, strings.Join(cat.clocks[0][:3], ", ")))
		return nil
	}
	r := &Retention{Keep: cat.keep, Since: []lethe.ClockColumn{*clock}, Schedule: cat.schedule, Why: cat.why}
	if fallback {
		r.Why += fmt.Sprintf("; no expiry column, so this counts from %s", clock.Name)
	}
	if clock.Unit != lethe.ClockNative {
		r.Why += fmt.Sprintf("; %s holds Unix time in %s", clock.Name, clock.Unit)
	}
	if cat.masks && len(t.fields) > 0 {
		r.AnonymizeAfter = period(6, lethe.Months)
		r.Why += "; their personal fields are masked after 6 months"
	}
	return r
}
