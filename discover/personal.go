package discover

import (
	"fmt"
	"strings"

	"lethe"
	"lethe/dialect"
)

// kind is what a personal column holds.
type kind int

const (
	kindNone kind = iota
	kindEmail
	kindName   // a person's name
	kindHandle // the name a person signs in or appears under
	kindPhone
	kindAddress
	kindBirth
	kindIP
	kindNationalID // national, tax, passport and bank identifiers
	kindFreeText
	kindExternalID // an identifier of the person in another system
	kindCard
	kindIBAN
)

var kindText = map[kind]string{
	kindEmail:      "an email address",
	kindName:       "a person's name",
	kindHandle:     "an account name or handle",
	kindPhone:      "a phone number",
	kindAddress:    "a postal address",
	kindBirth:      "a birth date",
	kindIP:         "an IP address",
	kindNationalID: "a national, tax or bank identifier",
	kindFreeText:   "free text (notes, comments, messages)",
	kindExternalID: "an identifier with no table to point at, in a table of people: likely the person's id in another system",
	kindCard:       "a payment card number",
	kindIBAN:       "an IBAN",
}

// reach says in which tables a name-based kind applies: some names are
// personal anywhere (email), some only where rows are about people
// (comment), some only in the table of the people themselves (name).
type reach int

const (
	anywhere     reach = iota
	personalRows       // subjects, their datasets, and tables under a retention rule
	peopleRows         // subjects only
)

// Words that make a column about a personal value rather than the value
// itself: email_verified, phone_country, email_count.
var notPersonal = set("verified", "confirmed", "confirmation", "verification", "opt", "optin", "opted", "status",
	"count", "enabled", "type", "consent", "preference", "preferences", "country", "hash", "hashed", "token",
	"bounced", "bounce", "frequency", "template", "provider", "domain", "format", "visibility", "visible",
	"notifications", "notification", "marketing", "newsletter", "subscribed", "unsubscribed", "subject",
	"mac", "changed", "sent", "digest", "kind", "policy", "pattern", "regex")

var nationalIDs = set("ssn", "sin", "nino", "nin", "tin", "national_id", "national_number", "national_insurance",
	"national_insurance_number", "social_security", "social_security_number", "tax_id", "tax_number",
	"tax_identifier", "taxpayer_id", "passport", "passport_number", "passport_no", "id_number", "id_card",
	"id_card_number", "identity_number", "identity_card", "driver_license", "drivers_license", "driving_licence",
	"driver_licence", "driving_license", "license_number", "licence_number", "personnummer", "personal_id",
	"personal_number", "iban", "bank_account", "bank_account_number", "account_number")

var (
	emailWords    = set("email", "mail", "emailaddress")
	ipWords       = set("ip", "ipv4", "ipv6", "ipaddr", "ipaddress")
	ipNames       = set("remote_addr", "remote_address", "client_addr", "client_address")
	phoneWords    = set("phone", "mobile", "telephone", "tel", "fax", "cell", "cellphone", "msisdn", "whatsapp", "phonenumber", "mobilephone")
	birthWords    = set("birth", "birthday", "birthdate", "dob", "birthdate", "birthplace")
	addressWords  = set("address", "addr", "street", "city", "town", "postcode", "postal", "zip", "zipcode", "line1", "line2", "address1", "address2", "housenumber")
	nameWords     = set("firstname", "lastname", "fullname", "givenname", "familyname", "surname", "forename", "forenames", "nickname", "displayname", "username", "middlename", "maidenname", "initials")
	namePrefixes  = set("first", "last", "full", "given", "family", "middle", "maiden", "display", "nick", "sur", "legal", "real", "preferred", "user", "contact", "customer", "person", "author", "sender", "recipient", "requester", "participant", "member", "employee", "patient", "student", "owner", "holder", "cardholder", "by", "guest", "buyer", "client", "applicant", "candidate", "billing", "shipping", "emergency", "contact")
	handleNames   = set("login", "handle", "screen_name", "account", "alias")
	freeTextWords = set("note", "notes", "comment", "comments", "body", "message", "description", "bio", "biography", "about", "remarks", "remark", "feedback", "memo", "text", "content", "details")
)

// nameKind recognises a personal column by its name alone.
func nameKind(column string) (kind, reach) {
	ws := words(column)
	joined := strings.Join(ws, "_")
	switch {
	case len(ws) == 0:
		return kindNone, anywhere
	case nationalIDs[joined] || hasAny(ws, set("ssn", "passport", "iban")):
		return kindNationalID, anywhere
	case hasAny(ws, notPersonal):
		return kindNone, anywhere
	case last(ws) == "id" && len(ws) > 1:
		return kindExternalID, peopleRows
	case hasAny(ws, emailWords):
		return kindEmail, anywhere
	case hasAny(ws, ipWords) || ipNames[joined]:
		return kindIP, anywhere
	case hasAny(ws, phoneWords):
		return kindPhone, anywhere
	case hasAny(ws, birthWords) || joined == "born_on" || joined == "born_at":
		return kindBirth, anywhere
	case hasAny(ws, addressWords):
		return kindAddress, anywhere
	case hasAny(ws, nameWords):
		return kindName, anywhere
	case last(ws) == "name" && len(ws) == 1:
		return kindName, peopleRows
	case last(ws) == "name" && hasAny(ws[:len(ws)-1], namePrefixes):
		return kindName, anywhere
	case handleNames[joined]:
		return kindHandle, peopleRows
	case hasAny(ws, freeTextWords):
		return kindFreeText, personalRows
	}
	return kindNone, anywhere
}

// maskFor proposes the mask for a column of kind k that fits the column's
// type and nullability, or says why none does.
func maskFor(k kind, c *dialect.Column) (lethe.Mask, string, bool) {
	text := c.IsText()
	clearOrEmpty := func() (lethe.Mask, string, bool) {
		switch {
		case c.Nullable:
			return lethe.Mask{Kind: lethe.MaskClear}, "", true
		case text:
			return lethe.Mask{Kind: lethe.MaskFixed, Fixed: ""}, "NOT NULL, so emptied rather than cleared", true
		}
		return lethe.Mask{}, fmt.Sprintf("it is a NOT NULL %s column, which no mask empties", c.Type), false
	}
	switch k {
	case kindEmail, kindName, kindHandle, kindFreeText, kindExternalID:
		if !text {
			return lethe.Mask{}, fmt.Sprintf("it is %s, and the mask for it writes text", c.Type), false
		}
		switch k {
		case kindEmail:
			return lethe.Mask{Kind: lethe.MaskEmail}, "", true
		case kindName, kindHandle:
			return lethe.Mask{Kind: lethe.MaskPseudonym}, "", true
		case kindFreeText:
			return lethe.Mask{Kind: lethe.MaskRedact}, "personal data in it is redacted", true
		default:
			return lethe.Mask{Kind: lethe.MaskHMAC}, "kept as a keyed HMAC, so equal values still match", true
		}
	case kindNationalID:
		if text {
			return lethe.Mask{Kind: lethe.MaskHMAC}, "kept as a keyed HMAC, so equal values still match", true
		}
		return clearOrEmpty()
	case kindIP:
		if c.Nullable {
			return lethe.Mask{Kind: lethe.MaskClear}, "", true
		}
		if text {
			return lethe.Mask{Kind: lethe.MaskHMAC}, "NOT NULL, so kept as a keyed HMAC", true
		}
		return clearOrEmpty()
	case kindPhone, kindAddress, kindBirth, kindCard, kindIBAN:
		return clearOrEmpty()
	}
	return lethe.Mask{}, "", false
}
