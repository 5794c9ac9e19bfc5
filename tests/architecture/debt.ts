/**
 * Known debt: imports that break the rules of docs/architecture.md ("Boundaries") today, each
 * with the reason issue 14 gives. The boundary test allows exactly these; it fails on any other
 * violation, and on an entry here that no longer occurs (remove it when you fix it).
 */
import type { Debt } from "./boundaries.ts";

export const KNOWN_DEBT: Debt = {
  edges: [],
  cycles: [],
};
