package scan

// ProtectStdout is protectStdout, for TestMain in package scan_test.
var ProtectStdout = protectStdout
