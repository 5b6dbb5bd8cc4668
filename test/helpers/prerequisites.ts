// Test prerequisites outside npm (a browser, a system tool). Locally a missing one skips the
// tests that need it, with a warning that says how to install it; with CI set it fails the run
// naming it, because a skipped test is not a passed one.

/**
 * True when the prerequisite is there. Otherwise: with CI set, throws (the test file fails with
 * the message); without, warns once and returns false so the caller can skip.
 */
export function prerequisite(name: string, present: boolean, howToInstall: string, env: Record<string, string | undefined> = process.env): boolean {
  if (present) return true;
  const message = `missing test prerequisite: ${name}. ${howToInstall}`;
  if (ciMode(env)) throw new Error(`${message} (CI is set, so this fails instead of skipping)`);
  console.warn(`[tests] SKIPPING the tests that need ${name}: ${message}`);
  return false;
}

/** CI is set to anything but an explicit false ('', '0', 'false'). */
export function ciMode(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.CI;
  return v !== undefined && !['', '0', 'false'].includes(v.trim().toLowerCase());
}
