// Prints "N passed, N failed[, N skipped]" from vitest's JSON report, plus the adopter test's shapes when
// its report is given (node .ci/summary.mjs VITEST_JSON [ADOPT_JSON]). Exits 1 if the vitest report is missing
// (typecheck or lint failed before the tests ran), if any test failed, or if no test ran at all.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`no test report at ${file}: the test command stopped before the tests ran`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
// Suites that failed to load count as failures too (their tests never ran).
const failedSuites = (report.testResults ?? []).filter(
  (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
).length;
let failed = (report.numFailedTests ?? 0) + failedSuites;
let adoptPassed = 0;
const adoptFile = process.argv[3];
if (adoptFile !== undefined) {
  if (existsSync(adoptFile)) {
    const adopt = JSON.parse(readFileSync(adoptFile, 'utf8')).results ?? [];
    adoptPassed = adopt.filter((result) => result.status === 'passed').length;
    failed += adopt.length - adoptPassed;
  } else {
    console.error(`no adopter report at ${adoptFile}: the adopter test did not run`);
    failed += 1;
  }
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed + adoptPassed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
