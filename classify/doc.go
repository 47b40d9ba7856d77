// Package classify proposes a document's type from its text, and says why.
//
// Two sources of evidence are combined:
//
//   - Rules: per type, keywords a records manager keeps (DefaultRules are
//     the built-in ones). A keyword is matched case-insensitively as whole
//     words, so "rx" does not match "proxy".
//   - A Model learned from the documents people filed: a multinomial naive
//     Bayes classifier over the distinct words of each filed document.
//     Learn adds one filed document's words to its type; Forget takes
//     exactly those words back (a re-filing or an undo), so a document is
//     never counted twice.
//
// Propose prefers what was learned when the model knows the type the rules
// point to (or the rules point nowhere) and is sure enough; otherwise the
// rules decide. Every Proposal carries a Reason a clerk can read: the words
// that matched a rule, or how many filed documents taught the model and
// the words that weighed most.
//
// Invariants: the package keeps no state of its own and does no I/O; a
// Model holds words of patients' documents, so whoever stores it must seal
// it like patient data. A Model's counts never go below zero (Forget of
// evidence that was never learned is ignored word by word).
package classify
