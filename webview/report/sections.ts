/** Registers every section renderer that exists in this build. */
export {};
