/** `sex=F, race=B`: a group as the UI names it. */
export function groupLabel(group: Readonly<Record<string, string>>): string {
  return Object.entries(group).map(([k, v]) => `${k}=${v}`).join(', ');
}
