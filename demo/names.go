package demo

// The people, companies and texts of the demo are made up. Domains are the
// ones reserved for documentation (example.com, example.org, example.net)
// and phone numbers come from the ranges set aside for fiction (UK 07700
// 900xxx and 020 7946 0xxx, North American 555-01xx), so nothing in the
// demo can reach a real person.

// Workspaces are the demo's tenants, with how many of every ten rows each
// one holds: a few large customers and a small one, as in real life.
var workspaces = []struct {
	id     string
	weight int
}{
	{"acme", 4},
	{"globex", 3},
	{"initech", 2},
	{"umbrella", 1},
}

var firstNames = []string{
	"Ada", "Alice", "Amara", "Anders", "Aisha", "Bruno", "Camille", "Carlos", "Chen", "Clara",
	"Dario", "Declan", "Elena", "Emeka", "Esther", "Farah", "Felix", "Freya", "Gustavo", "Hana",
	"Hugo", "Ines", "Ivan", "Jamal", "Jonas", "Julia", "Kenji", "Lars", "Leila", "Lena",
	"Liam", "Lucia", "Mateo", "Maya", "Mei", "Milan", "Nadia", "Niamh", "Noah", "Olga",
	"Omar", "Oscar", "Priya", "Rafael", "Rosa", "Ruben", "Saanvi", "Sofia", "Tariq", "Theo",
	"Tomas", "Uma", "Valentina", "Viktor", "Wei", "Yara", "Yusuf", "Zara", "Zoe", "Kofi",
}

var lastNames = []string{
	"Abara", "Alvarez", "Andersen", "Bakker", "Barros", "Becker", "Bianchi", "Brennan", "Castillo", "Chowdhury",
	"Costa", "Dahl", "Delacroix", "Dubois", "Eriksen", "Fischer", "Fontaine", "Garcia", "Haddad", "Hansen",
	"Ibrahim", "Ivanova", "Jansen", "Kaur", "Kowalski", "Lambert", "Larsen", "Lindqvist", "Lopez", "Mbeki",
	"Moreau", "Murphy", "Nakamura", "Novak", "Okafor", "Oliveira", "Park", "Petrov", "Quinn", "Rahman",
	"Rossi", "Sato", "Schmidt", "Silva", "Sorensen", "Tanaka", "Torres", "Varga", "Wagner", "Yilmaz",
}

var orgWords = []string{
	"Northwind", "Bluebird", "Cobalt", "Driftwood", "Evergreen", "Foxglove", "Granite", "Harbour", "Ironbark", "Juniper",
	"Kestrel", "Lighthouse", "Meadow", "Nimbus", "Orchard", "Pinecone", "Quarry", "Riverside", "Saffron", "Tidewater",
}

var orgKinds = []string{"Labs", "Logistics", "Studio", "Health", "Analytics", "Foods", "Partners", "Robotics", "Retail", "Energy"}

var userNotes = []string{
	"Prefers to be contacted in the morning.",
	"Renewal owner for the team plan.",
	"Asked for invoices by post.",
	"VIP: escalate tickets to the account manager.",
	"Speaks French and German.",
	"Beta tester for the new dashboard.",
	"Travels often; mobile is best: {phone}.",
	"Former admin, handed over to a colleague.",
	"Backup contact: {other}.",
}

var assets = []string{"EUR", "USD", "GBP", "BTC", "ETH", "USDC"}

var answerComments = []string{
	"Great onboarding, thanks!",
	"The export to CSV is slow for large surveys.",
	"Please call me back on {phone}, I have questions about billing.",
	"You can reach me at {email} if you need more detail.",
	"Would recommend to colleagues.",
	"Order 10442 arrived late but support was quick.",
	"Send the summary to {email} or text {phone}.",
	"Too many emails from you lately.",
	"The mobile app logs me out every day.",
	"Version 2.14.1 fixed my issue.",
}

var metadata = []struct {
	name   string
	values []string
}{
	{"source", []string{"web", "email", "mobile", "kiosk"}},
	{"locale", []string{"en-GB", "en-US", "fr-FR", "de-DE", "es-ES", "pt-BR"}},
	{"device", []string{"desktop", "ios", "android", "tablet"}},
	{"nps", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
	{"duration_s", []string{"34", "58", "71", "95", "122", "187", "240", "415"}},
}

var identityKinds = []struct {
	kind   string
	weight int
}{
	{"login", 10},
	{"logout", 4},
	{"login_failed", 3},
	{"sso_login", 3},
	{"password_reset", 1},
	{"mfa_enrolled", 1},
	{"email_verified", 1},
}

var auditActions = []string{
	"user.login", "user.update", "user.invite", "member.remove", "invoice.create", "invoice.pay",
	"settings.change", "api_key.create", "api_key.rotate", "export.download", "webhook.update", "role.grant",
}

// ticketBodies, answerComments and userNotes name the person's address as
// {email}, a phone number as {phone} and someone else's address as {other}.
var ticketBodies = []string{
	"Hi, I can no longer sign in with {email}. Could someone call me on {phone}?",
	"Please send our invoices to {other} instead of {email} from next month.",
	"The CSV export times out for our largest survey. Order 20931, plan Business.",
	"My colleague {other} needs admin rights on our workspace.",
	"Our webhook stopped receiving events yesterday around 14:00 UTC.",
	"Please update my phone number to {phone} and confirm by email to {email}.",
	"Can you close my account? I no longer work here. Reach me at {other}.",
	"Two-factor codes arrive late on {phone}, about 5 minutes after the request.",
}
