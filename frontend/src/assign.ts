// Reading the answer of assignLeads: which of the selected leads someone else took first.
export interface UserErrorLike {
  code: string;
  field?: readonly string[] | null;
}

/** The IDs of the leads a CONFLICT error points at (field ["leadIds", position]). */
export function conflictingLeadIds(
  errors: readonly UserErrorLike[],
  leadIds: readonly string[],
): string[] {
  const taken: string[] = [];
  for (const error of errors) {
    if (error.code !== "CONFLICT" || error.field?.[0] !== "leadIds") continue;
    const position = Number(error.field[1]);
    const id = Number.isInteger(position) ? leadIds[position] : undefined;
    if (id !== undefined && !taken.includes(id)) taken.push(id);
  }
  return taken;
}

export function isConflict(errors: readonly UserErrorLike[]): boolean {
  return errors.some((error) => error.code === "CONFLICT");
}
