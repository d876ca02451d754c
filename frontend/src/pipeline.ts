// The Verkaufschancen board's own logic: which view and filters the URL holds, where a card may
// move and what a move asks first, what a dragged card carries, and the edit form's values.
import type { OpportunityLostReason, OpportunityOrder, OpportunityStage } from "./gql/graphql";
import type { Language, Translate } from "./i18n";
import { LOCALES, type ParsedAmount, formatMoney, parseAmount } from "./leadDetail";
import { type OpportunitiesState, STAGES, opportunitiesUrl, parseOpportunities } from "./routes";
import { type SortColumn, oneOf } from "./sorting";

/** Cards per column and page; "Mehr anzeigen" loads the next ones. */
export const BOARD_PAGE_SIZE = 50;

export const LOST_REASONS: readonly OpportunityLostReason[] = [
  "PRICE",
  "COMPETITOR",
  "NO_BUDGET",
  "NO_DECISION",
  "OTHER",
];

export type OpportunitiesView = "board" | "list";

/** The Verkaufschancen screen: the list's state plus the view and the campaign filter. The
 * board shows every stage as a column, so the stage filter belongs to the list only. */
export interface OpportunitiesScreenState extends OpportunitiesState {
  view: OpportunitiesView;
  campaignId: string;
  /** The list's sort (`sort=` in the URL); the board sorts by stage columns instead. */
  order: OpportunityOrder;
}

export const OPPORTUNITY_ORDERS: readonly OpportunityOrder[] = [
  "NEWEST",
  "OLDEST",
  "TITLE",
  "OWNER",
  "STAGE",
  "VALUE",
  "EXPECTED_CLOSE",
];
export const DEFAULT_OPPORTUNITY_ORDER: OpportunityOrder = "NEWEST";

/** The list's columns and the orders that sort them: one direction each (the API names whole
 * orders) except the creation column, newest or oldest first. The contact does not sort. */
export const OPPORTUNITY_SORT_COLUMNS = {
  title: { ascending: "TITLE" },
  contact: null,
  owner: { ascending: "OWNER" },
  stage: { ascending: "STAGE" },
  value: { descending: "VALUE" },
  closeDate: { ascending: "EXPECTED_CLOSE" },
  created: { ascending: "OLDEST", descending: "NEWEST" },
} as const satisfies Record<string, SortColumn<OpportunityOrder> | null>;

export function parseOpportunitiesScreen(search: string): OpportunitiesScreenState {
  const params = new URLSearchParams(search);
  return {
    ...parseOpportunities(search),
    view: params.get("view") === "list" ? "list" : "board",
    campaignId: params.get("campaign") ?? "",
    order: oneOf(params.get("sort"), OPPORTUNITY_ORDERS, DEFAULT_OPPORTUNITY_ORDER),
  };
}

/** The board is the default and keeps no stage, sort or page; the list keeps them. */
export function opportunitiesScreenUrl(state: OpportunitiesScreenState): string {
  const onBoard = state.view === "board";
  const base = opportunitiesUrl(onBoard ? { ...state, stage: "", cursors: [] } : state);
  const [path, query = ""] = base.split("?", 2);
  const params = new URLSearchParams(query);
  if (state.campaignId) params.set("campaign", state.campaignId);
  if (!onBoard) params.set("view", "list");
  if (!onBoard && state.order !== DEFAULT_OPPORTUNITY_ORDER) params.set("sort", state.order);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function isClosedStage(stage: OpportunityStage): boolean {
  return stage === "WON" || stage === "LOST";
}

/** The stages a card may go to: every other one; a closed one only for managers (the server
 * refuses a clerk, so the board does not offer it). Nothing for someone else's card. */
export function moveTargets(
  from: OpportunityStage,
  { manages, owns }: { manages: boolean; owns: boolean },
): OpportunityStage[] {
  if (!manages && (!owns || isClosedStage(from))) return [];
  return STAGES.filter((stage) => stage !== from);
}

/** What a move asks before it is made: LOST its reason, WON a confirmation. */
export type MoveQuestion = "none" | "confirmWon" | "lostReason";

export function moveQuestion(target: OpportunityStage): MoveQuestion {
  if (target === "LOST") return "lostReason";
  if (target === "WON") return "confirmWon";
  return "none";
}

/** What a dragged card carries (as its own data type, so that a dragged link or text is never
 * taken for a card). */
export const CARD_DRAG_TYPE = "application/x-leadflow-opportunity";

export interface DraggedCard {
  id: string;
  title: string;
  stage: OpportunityStage;
}

export function cardDragData(card: DraggedCard): string {
  return JSON.stringify({ id: card.id, title: card.title, stage: card.stage });
}

export function readCardDragData(data: string): DraggedCard | null {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed !== "object" || parsed === null) return null;
    const { id, title, stage } = parsed as Record<string, unknown>;
    if (typeof id !== "string" || !id || typeof title !== "string") return null;
    if (!(STAGES as readonly unknown[]).includes(stage)) return null;
    return { id, title, stage: stage as OpportunityStage };
  } catch {
    return null;
  }
}

/** An amount as people type it in `language` ("2.400,00" in German), for an input to start
 * with; parseAmount reads it back. */
export function amountInputText(language: Language, amount: string | null | undefined): string {
  if (!amount) return "";
  return new Intl.NumberFormat(LOCALES[language], {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(Number(amount));
}

export interface OpportunityValues {
  title: string;
  expectedValue: string | null;
  expectedCloseDate: string | null;
}

export interface OpportunityEditDraft {
  title: string;
  value: string;
  closeDate: string;
}

export function draftOf(language: Language, values: OpportunityValues): OpportunityEditDraft {
  return {
    title: values.title,
    value: amountInputText(language, values.expectedValue),
    closeDate: values.expectedCloseDate ?? "",
  };
}

export type OpportunityChanges = Partial<OpportunityValues>;

/** The fields the edit changed, as updateOpportunity takes them (a left-out field stays as it
 * is; an emptied value or date becomes null), or the value that could not be read. */
export function opportunityChanges(
  language: Language,
  current: OpportunityValues,
  draft: OpportunityEditDraft,
): { ok: true; changes: OpportunityChanges } | { ok: false; field: "expectedValue" } {
  const amount: ParsedAmount = parseAmount(draft.value, language);
  if (!amount.ok) return { ok: false, field: "expectedValue" };
  const changes: OpportunityChanges = {};
  if (draft.title.trim() !== current.title) changes.title = draft.title.trim();
  if (!sameAmount(amount.value, current.expectedValue)) changes.expectedValue = amount.value;
  const closeDate = draft.closeDate || null;
  if (closeDate !== (current.expectedCloseDate ?? null)) changes.expectedCloseDate = closeDate;
  return { ok: true, changes };
}

function sameAmount(typed: string | null, stored: string | null): boolean {
  if (typed === null || stored === null) return typed === stored;
  return Number(typed) === Number(stored);
}

/** A date without time ("2026-12-31") as the user's language writes it ("31.12.2026"). */
export function formatCloseDate(language: Language, date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) return date;
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium", timeZone: "UTC" }).format(
    day,
  );
}

/** A field an edit changed, as the history's UPDATED note names it. */
export type ChangedField = "title" | "expectedValue" | "expectedCloseDate";

export interface FieldChange {
  field: ChangedField;
  from: string | null;
  to: string | null;
}

const NOTE_FIELDS: Record<string, ChangedField> = {
  title: "title",
  expected_value: "expectedValue",
  expected_close_date: "expectedCloseDate",
};

/** The changes of an UPDATED history note ("expected_value: 2400.00 -> 3000.00; ..."; "-" is
 * none), or null when the note is not in that form (then it is shown as it is). The title comes
 * first and is free text: only "; " before another field's name separates. */
export function parseOpportunityChanges(note: string): FieldChange[] | null {
  const parts = note.split(/; (?=(?:expected_value|expected_close_date): )/);
  const changes: FieldChange[] = [];
  for (const part of parts) {
    const match = /^(title|expected_value|expected_close_date): ([\s\S]*?) -> ([\s\S]*)$/.exec(part);
    if (!match) return null;
    const field = NOTE_FIELDS[match[1]];
    const none = (value: string) => (value === "-" && field !== "title" ? null : value);
    changes.push({ field, from: none(match[2]), to: none(match[3]) });
  }
  return changes.length ? changes : null;
}

/** An UPDATED note in words: "Erwarteter Wert: 2.400,00 € → 3.000,00 €; …". */
export function describeOpportunityChanges(
  t: Translate,
  language: Language,
  note: string,
): string {
  const changes = parseOpportunityChanges(note);
  if (!changes) return note;
  const shown = (field: ChangedField, value: string | null): string => {
    if (value === null) return t("lead.none");
    if (field === "expectedValue") return formatMoney(language, value);
    if (field === "expectedCloseDate") return formatCloseDate(language, value);
    return value;
  };
  return changes
    .map((change) =>
      t("opp.change", {
        field: t(`opp.change.${change.field}`),
        from: shown(change.field, change.from),
        to: shown(change.field, change.to),
      }),
    )
    .join("; ");
}
