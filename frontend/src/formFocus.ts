// Where the keyboard focus goes when a form on the lead page is refused: to the first field the
// refusal concerns, so that a keyboard or screen reader user lands on what to fix, not on <body>.

/** Focus the first invalid field inside `container` (the first radio of an invalid fieldset),
 * else the element with `fallbackId` (a form-wide message, made focusable for this). */
export function focusFirstProblem(container: HTMLElement | null, fallbackId?: string): void {
  if (!container) return;
  const invalid = container.querySelector<HTMLElement>('[aria-invalid="true"]');
  if (invalid) {
    const target =
      invalid.tagName === "FIELDSET"
        ? invalid.querySelector<HTMLElement>("input, select, textarea")
        : invalid;
    target?.focus();
    return;
  }
  if (!fallbackId) return;
  const message = container.ownerDocument.getElementById(fallbackId);
  if (!message) return;
  message.tabIndex = -1;
  message.focus();
}
