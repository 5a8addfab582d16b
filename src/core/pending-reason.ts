/**
 * A pending reason without the amounts in it ("(uses 500, asks 1000)", counts): two reasons of the
 * same kind compare equal however the numbers move, so a new kind of reason is told apart from the
 * same one with other amounts (the agent records an event for the first, the CLI prints it once).
 */
export function reasonKind(reason: string): string {
  return reason.replace(/\([^)]*\)/g, "()").replace(/\d+/g, "#");
}
