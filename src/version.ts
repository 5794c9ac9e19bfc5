/** The llmspell release; printed by --version and reported by the kernel. */
export const VERSION = "0.1.0";
