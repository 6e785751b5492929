/** The CLI's version (`bias-inspector --version`, SARIF tool version). */
export const CLI_VERSION = '0.1.0';
