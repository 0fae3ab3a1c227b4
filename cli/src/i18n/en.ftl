# custody's texts in English. Every message here is also in uk.ftl, with the
# same arguments (a test checks both). Arguments given as counts select the
# plural form and are shown grouped (1,234); ids, seqs, dates, hashes and
# evidence are given as text and shown as they are.

## Counts

count-plain = { $count }
count-items = { $count ->
    [one] { $count } item
   *[other] { $count } items
}
count-entries = { $count ->
    [one] { $count } entry
   *[other] { $count } entries
}
days-exact = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
days-between = between { $min } and { $max } days (the dates are approximate)
seq = seq { $seq }
yes = yes
no = no
# A format 3 personal field whose disclosure the bundle does not carry
# (withheld by the exporter's profile, or redacted).
withheld = (withheld)
none = None.

## The dossier: headings and labels

dossier-title = Chain-of-custody dossier: { $person }
heading-summary = Summary
heading-status = Status and legal clock
heading-flags = Flags
heading-disputes = Disputes
heading-timeline = Timeline
heading-evidence = Evidence about { $person } ({ $count ->
    [one] { $count } item
   *[other] { $count } items
})
heading-governance = Keys and governance
heading-verified = What was verified, and how
heading-reverify = How to verify it yourself
heading-glossary = Glossary
no-item = No item at this cut.
label-time-cut = Time cut
time-cut-shows = this dossier shows { $cut }.
label-check-authority = Check the authority key
banner-check-authority = { $key } — this bundle was not checked against a key you trust. Compare this key with the one the ledger's authority gave you, or re-run with { $option }.
label-ledger = Ledger
label-verdict = Verdict
label-status = Status
label-authority = Authority key (genesis)
authority-key-value = { $key } ({ $holder }) — { $check }
authority-pinned = matches the key given with --authority
authority-store = from the operator's store; compare it with the key you were given by the ledger's authority
authority-not-pinned = NOT checked: compare it with the key you were given by the ledger's authority
label-checkpoint = Checkpoint
checkpoint-value = { $size } entries, root { $root }, signed by { $signer } ({ $holder }, { $role ->
    [registrar] a registrar
   *[authority] an authority
} since seq { $since })
source-store = built from the store at { $dir } (as `custody export --person { $person }` writes it)
label-bundle-sha256 = Bundle SHA-256
label-generated = Generated
label-occurred = Occurred
label-attachment = Attachment
label-recorded = Recorded
label-signed-by = Signed by
signed-by-value = { $key } ({ $holder }), role when signing: { $roles }
roles-none = none
label-entry-hash = Entry hash
label-proof = Proof
label-concerns = Concerns
concerns-item = item { $item } (entry { $hash })
concerns-not-shown = an entry not shown at this cut (entry { $hash })
label-replacement = Replacement ({ $title })
mark-retracted = RETRACTED by item { $item }
mark-replaced = REPLACED by item { $item }
correction-retracted = { $mark } (seq { $seq }, entry { $hash }):{ $end } { $reason }. This item no longer counts.
correction-replaced = { $mark } (seq { $seq }, entry { $hash }):{ $end } { $reason }. This item no longer counts; its replacement, below, does.
mark-disputed = DISPUTED by item { $item } (seq { $seq })
disputed-by = , by { $by }: { $reason }
dispute-line = Item { $item } ({ $title }) is disputed by item { $by_item } (seq { $seq }), by { $by }: { $reason }
governance-intro = Who could sign, replayed from the ledger's governance entries (all { $count } of them before the checkpoint):
governance-line = seq { $seq } ({ $at }): { $what } — signed by { $signer }, entry hash { $hash }
reverify-intro = With the bundle file (its SHA-256 is { $sha256 }) and the authority key you were given:
reverify-checkpoint = Checkpoint: origin { $origin }, { $size } entries, root { $root }, signed by { $signer }. Generated { $generated }.
reverify-without-custody = Anyone can check the bundle without this software: docs/FORMAT.md section 7 ("Person bundles") specifies every step — decode each entry, recompute its SHA-256 hash, check its Ed25519 signature, replay the keys' roles from the governance entries, and recompute the Merkle root that the signed checkpoint states.

## Dates' precision (the dates themselves stay ISO)

precision-year = year precision
precision-month = month precision
precision-day = day precision
precision-instant = instant precision
precision-unknown = unknown precision

## The time cut

cut-as-of = the state of the world as of { $at } (events that may have occurred by then)
cut-known-at = what the ledger had recorded by { $at } (later entries and corrections left out)

## The verdict

verdict-signer = the checkpoint signed by { $signer } ({ $holder })
verdict-complete = COMPLETE — these are all { $entries } entries about { $person }, and all { $governance } governance entries, as of the checkpoint of { $size } entries ({ $signer }): nothing about this person was left out, and nothing was altered
verdict-absent = ABSENT — no entry concerns { $person } as of the checkpoint of { $size } entries ({ $signer }); the { $governance } governance entries before it are shown
verdict-inclusion-only = INCLUSION ONLY — the entries shown are in the ledger, but others may have been left out ({ $signer })
verdict-at-cut = ; at the time cut stated above, { $shown } of them are shown

## Governance entries

governance-genesis = ledger { $ledger } created; its authority key { $key } is held by { $holder }
governance-granted = key { $key } granted the role { $role } (holder: { $holder })
governance-revoked = key { $key } revoked: { $reason }

## Event types

title-missing-report = Reported missing
title-capture = Capture
title-icrc-notification = Notification to the ICRC
title-sighting = Sighting (seen alive in captivity)
title-release = Release
title-death = Death
title-correspondence = Correspondence (contact with the family)
title-correction = Correction
title-denial = Denial (refusal to acknowledge the detention)
title-inquiry = Inquiry (request for news)
title-transfer = Transfer
title-visit = Visit
title-legal-proceeding = Legal proceeding
title-ill-treatment = Ill-treatment reported
title-remains-returned = Remains returned
title-dispute = Dispute
title-clock-correction = Clock correction
title-genesis = Genesis
title-key-granted = Key granted
title-key-revoked = Key revoked
title-checkpoint = Checkpoint
title-seal = Seal
title-statement = Statement (evidence signed by its author, registered here)
title-redaction = Redaction (personal data erased)
title-predecessor = Predecessor (the ledger this one re-issues)

# A field a redaction erased (format v3): the redaction's seq, who signed it, its reason.
value-redacted = (redacted at seq { $seq } by { $holder }, reason: { $reason })

## Fields of an event

field-person = Person
field-name = Name
field-date-of-birth = Date of birth
field-service-number = Service number
field-unit = Unit
field-category = Category
field-last-seen-place = Last seen at
field-place = Place
field-from = From
field-to = To
field-by = By
field-circumstances = Circumstances
field-source = Source
field-kind = Kind
field-cause = Cause
field-visitor = Visitor
field-stage = Stage
field-authority = Authority
field-charge = Charge
field-sentence = Sentence
field-via = Through
field-reference = Reference
field-reason = Reason
field-notes = Notes
field-witnesses = Witnesses
field-location-disclosed = Place of detention disclosed
field-health-disclosed = Health disclosed
field-remains-returned = Remains returned
field-target = Entry concerned (hash)
field-since = From seq
field-field = Field

## Status

status-no-evidence = no evidence about this person at this cut
status-since = { $what } — since { $since } ({ $status })
status-missing = missing: reported missing, with no evidence that they are held
status-held-unacknowledged = held, unacknowledged: there is evidence that they are in custody, but the detaining power has not acknowledged it
status-held-acknowledged = held, acknowledged: the detaining power notified the ICRC (or acknowledged the detention by its own act)
status-released = released (exchanged, repatriated or freed)
status-deceased = deceased: a death is recorded

## Enum values in words: the status's axes and the vocabulary of events (in English, as they are)

value-none = none
value-refused = refused
value-notified = notified
value-official-act = official_act
value-held = held
value-released = released
value-unknown = unknown
value-alive = alive
value-dead = dead
value-disputed = disputed
value-prisoner-of-war = prisoner_of_war
value-security-detainee = security_detainee
value-civilian-internee = civilian_internee
value-criminal-suspect = criminal_suspect
value-convicted = convicted
value-civilian = civilian
value-torture = torture
value-beating = beating
value-sexual-violence = sexual_violence
value-denial-of-medical-care = denial_of_medical_care
value-starvation = starvation
value-other = other
value-execution = execution
value-death-in-custody = death_in_custody
value-killed-in-action = killed_in_action
value-transfer = transfer
value-legal-proceeding = legal_proceeding
value-military = military
value-returned-pow = returned_pow
value-returned-civilian = returned_civilian
value-video = video
value-tv = tv
value-telegram = telegram
value-parcel-accepted = parcel_accepted
value-phone-call = phone_call
value-official = official
value-icrc = icrc
value-lawyer = lawyer
value-family = family
value-consular = consular
value-un-monitor = un_monitor
value-interned-security = interned_security
value-administrative-detention = administrative_detention
value-charged = charged
value-remanded = remanded
value-sentenced = sentenced
value-appeal-rejected = appeal_rejected
value-self = self
value-witness = witness
value-forensic = forensic
value-medical = medical
value-exchange = exchange
value-repatriation = repatriation
value-release = release
value-letter = letter
value-call = call
value-message = message

## The legal clock

clock-counted-to = Counted to
clock-counted-to-meaning = Every day count below runs to this moment: the ledger's signed checkpoint (its seal), the latest moment the evidence vouches for, or the --as-of cut. The dossier says nothing of what happened after it.
clock-name = Name
clock-name-meaning = The name the missing report gives (the ledger knows the person by their id).
clock-last-known-place = Last known place
clock-last-known-place-meaning = The latest place the evidence names (a capture, sighting, transfer, visit or the place last seen free): where to look.
clock-place-value = { $place } ({ $at }, { $by })
clock-captured = Captured
clock-captured-meaning = The recorded capture that began the current detention.
clock-captured-bound-meaning = No capture is recorded: the first evidence of custody (a sighting) is a bound — the capture happened no later than this, and no earlier than the last time the person was seen free. Every day count below runs from these bounds.
clock-captured-between = between { $after } and { $by }
clock-captured-no-later = no later than { $by }
clock-icrc-notified = ICRC notified
clock-icrc-notified-meaning = When the detaining power notified the ICRC (GC III Arts. 70, 122: within one week of capture).
clock-acknowledged = Acknowledged
clock-acknowledged-meaning = The detaining state acknowledged the detention by its own act (a court decision, a transfer notice), without notifying the ICRC.
clock-acknowledged-value = { $at } by { $by }
clock-notification-delay = Notification delay
clock-notification-delay-meaning = Days from capture to the notification: more than 7 breaches GC III Art. 70.
clock-unacknowledged-for = Unacknowledged for
clock-unacknowledged-for-meaning = Days held since capture with no notification (up to release, death, the cut or today).
clock-last-contact = Last contact
clock-last-contact-meaning = The latest correspondence or visit in this detention (or the capture).
clock-without-contact-for = Without contact for
clock-without-contact-for-meaning = Days since the last contact, while held: more than 30 is incommunicado detention (GC III Art. 71).
clock-released = Released
clock-released-meaning = The release that ended the last detention.
clock-died = Died
clock-died-meaning = The recorded death.
clock-cause-of-death = Cause of death
clock-cause-of-death-meaning = As recorded.
clock-remains-returned = Remains returned
clock-remains-returned-meaning = Whether the remains were handed over.
clock-axes = Axes
clock-axes-meaning = The separate questions behind the one status: was the detention acknowledged, is the person held, are they alive, and under which law are they held.
clock-axes-value = acknowledgement { $acknowledgement }, liberty { $liberty }, fate { $fate }, legal category { $category }, place of detention disclosed: { $disclosed }, visits: { $visits }
clock-ill-treatment = Ill-treatment reported
clock-ill-treatment-meaning = The kinds of ill-treatment the evidence reports (torture, beating, denial of medical care, …), in any detention; each report is an item below with its source.
clock-requests-for-news = Requests for news
clock-requests-for-news-meaning = Requests for news recorded (by the family, to the ICRC, the police, an ombudsman): the right to know the fate and whereabouts of a detained relative (ICPED Art. 24).

## Flags: their titles (in English, their names) and what they mean in law

flag-notification-overdue = notification_overdue
flag-notification-overdue-meaning = Held more than 7 days after capture without notification to the ICRC: the detaining power must notify within one week (GC III Art. 70; Arts. 122–123).
flag-incommunicado = incommunicado
flag-incommunicado-meaning = Held with no contact for more than 30 days: prisoners must be able to write to their families (GC III Art. 71; GC IV Arts. 106–107).
flag-disputed = disputed
flag-disputed-meaning = A recorded death is contradicted by later evidence of life, or a fact the status rests on is contested by a dispute: the fate is not established.
flag-enforced-disappearance = enforced_disappearance
flag-enforced-disappearance-meaning = Evidence of custody, no acknowledgement, and a recorded refusal to acknowledge it: the elements of an enforced disappearance (ICPED Art. 2).
flag-whereabouts-undisclosed = whereabouts_undisclosed
flag-whereabouts-undisclosed-meaning = The detention was acknowledged, but no notification, visit or official act disclosed the place of detention (GC III Arts. 70, 122; ICPED Art. 2).

## Proofs and what was verified

proof-named-by-hash = named by its hash by another verified entry (the next entry about the person, a correction, or the seal) in the tree of { $size } entries: verified
proof-inclusion = inclusion proof of { $hashes } hashes to the checkpoint's root (tree of { $size } entries): verified
verified-decoded = Every entry was decoded from its signed bytes, and its entry hash (SHA-256 of those bytes) recomputed.
verified-signatures = Every entry's Ed25519 signature was checked, strictly, against its signer's public key.
verified-roles = The keys' roles were replayed from the governance entries in order: every entry was signed by a key that held the needed role (investigator for evidence, authority for governance, authority or registrar for seals and checkpoints, and a statement's author an investigator) at the moment it was recorded, and was not revoked.
verified-tree = Every entry was shown to be in the ledger's Merkle tree of { $size } entries, whose root the checkpoint states, by its inclusion proof or by the hash that another verified entry gives it.
verified-checkpoint = The checkpoint's signature was checked: it is signed by { $signer } ({ $holder }), a key holding the { $role } role since entry { $since }.
verified-complete = The seal before the checkpoint commits to every person's entries: this bundle holds all of this person's entries and all governance entries — none was left out.
verified-absent = The seal before the checkpoint commits to every person's entries: it proves that the ledger holds no entry about this person.
verified-inclusion-only = No seal: the entries are proven to be in the ledger, not that none was left out.

## The summary

summary-complete = The ledger { $ledger } holds { $entries } entries about { $person }; this dossier shows { $shown } of them{ $cut ->
    [yes] {" "}(at the time cut stated above)
   *[no] {""}
}. They were checked by mathematics, not trust: each is signed by a key that was authorised when it signed, none was altered, and none about this person was left out as of the ledger's signed checkpoint of { $size } entries.
summary-absent = The ledger { $ledger } holds no entry about { $person } as of its signed checkpoint of { $size } entries; this is proven, not assumed.
summary-status = On this evidence the person is { $status }.
summary-corrections = { $retracted } item(s) were retracted and { $replaced } replaced by later corrections: they are shown, marked, and do not count towards the status.
summary-disputed = { $count ->
    [one] Item { $items } is disputed: see the dispute shown on it.
   *[other] Items { $items } are disputed: see the dispute shown on each.
}
summary-authority-pinned = The ledger's authority key { $key } matched the key given to check it.
summary-authority-store = The ledger's authority key is { $key } (from the operator's own store): compare it with the key the authority gave you.
summary-authority-not-pinned = The ledger's authority key { $key } was NOT checked against a key you trust: compare it with the key the ledger's authority gave you before relying on this dossier.

## The timeline

timeline-explained = Each point is numbered by the evidence item behind it; dashed red lines are the legal marks counted from the capture (or its bound).
timeline-aria-label = Timeline of the episode
timeline-legal-mark = legal mark
timeline-last-seen-free = last seen free
timeline-first-custody = first evidence of custody: the capture happened no later
timeline-mark-notification = { $days } days after capture: the ICRC must have been notified (GC III Art. 70)
timeline-mark-incommunicado = { $days } days after capture: no contact since is incommunicado (GC III Art. 71)

## The glossary

term-seq = seq
term-seq-meaning = An entry's position in the ledger: 0 for the first entry, then 1, 2, … Entries are only ever added at the end.
term-entry-hash = entry hash
term-entry-hash-meaning = The SHA-256 fingerprint of an entry's exact bytes. Changing a single byte of the entry changes its hash completely.
term-signature = signature
term-signature-meaning = An Ed25519 digital signature: proof that the holder of a private key signed these exact bytes. Anyone can check it with the public key; no one can forge it without the private key.
term-checkpoint = checkpoint
term-checkpoint-meaning = A statement, signed by an authority key or by the registrar key of the server that keeps the ledger, that the ledger's first N entries have a given Merkle root. Once signed, no entry before it can be changed, removed or reordered without the checkpoint failing.
term-merkle = Merkle tree / inclusion proof
term-merkle-meaning = A way of combining every entry's hash into one root hash (RFC 9162). An inclusion proof is the few hashes that lead from one entry to the root: it proves that the entry is in the ledger the checkpoint describes, without the rest of the ledger.
term-seal = completeness proof / seal
term-seal-meaning = Just before each checkpoint, its signer (the authority, or the server's registrar) records a seal: a commitment to the latest entry about every person and to the governance entries. It lets a bundle prove that it holds ALL the entries about a person (COMPLETE) or that there are none (ABSENT), not just that the ones shown are genuine.
term-authority = authority
term-authority-meaning = The key that governs the ledger: it is named in the ledger's first entry (the genesis), grants and revokes the other keys, and signs checkpoints. Compare it with the key the ledger's authority gave you.
term-governance = governance
term-governance-meaning = The entries that say who may sign: the genesis, key grants (with the holder's name and role) and revocations.
term-investigator = investigator
term-investigator-meaning = The role a key needs to record evidence.
term-corrections = retracted / replaced
term-corrections-meaning = Nothing is ever deleted from the ledger. A correction entry retracts an earlier entry (it no longer counts) or replaces it with corrected content; both stay visible, as this dossier shows.
term-icrc = ICRC
term-icrc-meaning = The International Committee of the Red Cross; its Central Tracing Agency receives the information on prisoners of war and civilian internees that the parties to a conflict must give (GC III Arts. 122–123; GC IV Arts. 136–140).
term-gc3 = GC III
term-gc3-meaning = The Geneva Convention relative to the Treatment of Prisoners of War (Third Geneva Convention, 1949).
term-gc4 = GC IV
term-gc4-meaning = The Geneva Convention relative to the Protection of Civilian Persons in Time of War (Fourth Geneva Convention, 1949).
term-icped = ICPED
term-icped-meaning = The International Convention for the Protection of All Persons from Enforced Disappearance (2006).
term-enforced-disappearance = enforced disappearance
term-enforced-disappearance-meaning = A deprivation of liberty by agents of a state, followed by a refusal to acknowledge it or by concealment of the person's fate or whereabouts, which places them outside the protection of the law (ICPED Art. 2).
term-incommunicado = incommunicado detention
term-incommunicado-meaning = Detention with no contact with the outside world: family, lawyers or monitors. This dossier counts it from 30 days without contact (GC III Art. 71).

## The web view (custody serve's pages)

web-skip = Skip to the content
web-nav-label = Main
web-nav-people = People
web-nav-report = Report
web-lang-label = Language
web-lang-name = English
web-signed-in-as = Signed in as { $holder }.
web-signout = Sign out
web-error-title = This page cannot be shown
web-back-to-people = Back to the list of people
web-signin-title = Sign in
web-signin-intro = Sign in with the reader token the ledger's authority issued you. Your browser keeps only a session cookie, never the token; the session ends when you sign out, after 8 hours, or when the token is revoked. Every page you open about a person is recorded in the access log under your name.
web-signin-refused = This token was not accepted: it is unknown, expired or revoked. Ask the ledger's authority for a valid one.
web-token-label = Reader token
web-signin-button = Sign in
web-forbidden-csrf = The form was out of date or came from another site, so it was refused. Reload the page and try again.
web-status-missing = missing
web-status-held-unacknowledged = held, unacknowledged
web-status-held-acknowledged = held, acknowledged
web-status-released = released
web-status-deceased = deceased
web-people-title = People
web-count-total = People in the ledger
web-count-matching = Matching the search
web-no-match = No person matches this search.
web-col-person = Person
web-col-name = Name
web-col-status = Status
web-col-flags = Flags
web-col-unacknowledged = Days unacknowledged
web-col-without-contact = Days without contact
web-pages-label = Pages
web-prev = Previous page
web-next = Next page
web-page-of = Page { $page } of { $pages }
web-search-label = Search by id or name
web-search-id-label = Search by id
web-search-ids-only = This reader token's profile ({ $profile }) shows no names, so the search matches ids only: a name typed here is not looked for.
web-status-label = Status
web-flag-label = Flag
web-category-label = Category
web-sort-label = Sort by
web-any = Any
web-sort-person = Person id
web-sort-unacknowledged = Days unacknowledged, most first
web-sort-without-contact = Days without contact, most first
web-apply = Apply
web-cut-legend = Time cut
web-as-of-label = As of (what was true on that day)
web-known-at-label = Known at (what the ledger held on that day)
web-show = Show
web-download-bundle = Download the bundle (check it with custody verify --bundle)
web-download-dossier = Download the dossier (HTML)
web-report-title = Report
web-report-by-status = People by status
web-report-flags = People by flag
web-nav-ledger = Ledger
web-ledger-title = The ledger
web-ledger-length = Chain length
web-ledger-checkpoint = Latest checkpoint
web-ledger-checkpoint-covers = Signed by the ledger's authority over the first { $count ->
    [one] { $count } entry
   *[other] { $count } entries
}; anyone can check a bundle against it offline.
web-ledger-no-checkpoint = The ledger has no checkpoint yet.
web-ledger-cosignatures = Witnesses' cosignatures
web-ledger-no-cosignatures = No witness's cosignature of this checkpoint is kept on this server (`custody checkpoint --witness` keeps them).
web-ledger-witness = Witness
web-ledger-key-id = Key id
web-ledger-cosignature = Cosignature
web-ledger-cosignature-verified = verifies against the witness key given to this server
web-ledger-cosignature-fails = does NOT verify against the witness key given to this server
web-ledger-cosignature-not-checked = not checked: this server was given no key of this witness (`custody serve --witness-key`)
web-ledger-log = The log
web-ledger-type = Type
web-ledger-signer = Signer
web-legal-label = Legal category
web-report-by-category = People by status: { $category }
web-report-delays = From capture to notification of the ICRC
web-report-captured = Captured (current or last detention)
web-report-notified = Notified
web-report-never-notified = Never notified
web-report-median = Median delay
web-report-p90 = 90th percentile
web-report-max = Longest delay
web-report-delay-chart = People by days from capture to notification (at least)
web-report-delay-range = { $from }–{ $to } days
web-report-delay-over = more than { $days } days
web-report-trend = Unacknowledged and incommunicado over time
web-report-trend-desc = { $points ->
    [one] One point
   *[other] { $points } points
}, from { $from } to { $to }. On the last day: { $unacknowledged } held unacknowledged, { $incommunicado } incommunicado.
web-report-trend-axis-persons = People
web-report-trend-step-week = Date (end of each week)
web-report-trend-step-month = Date (end of each month)
web-report-trend-step-year = Date (end of each year)
web-report-trend-unacknowledged = Held, unacknowledged
web-report-trend-incommunicado = Incommunicado
web-report-trend-undetermined = Undetermined (incommunicado or not)
web-report-trend-table = The figures as a table
web-report-trend-date = Date
web-report-trend-none = No detention is recorded: there is nothing to chart.
web-report-trend-note = Each point counts what the ledger says now about that day, evidence recorded later included — not what it said on that day. It counts each person's current or last detention, as their status records it: an earlier detention of someone released and captured again is not counted. A person is incommunicado on a day when more than 30 days had passed since their last contact; on days before the latest contact their status keeps, that cannot be told, and the table counts them as undetermined. The last point is the count today (or on the as-of day), the same as the figures above.
