// The prompts slice owns the instruction library: prompts (LiquidJS templates with model settings,
// output schema, few-shot examples, rules and tone) and documents (policies, definitions, FAQs),
// each name with immutable content-hashed versions and movable labels; references to them
// (`name@production`, `name@3`); strict rendering; and retrieval over the documents (full text,
// and vectors where embeddings exist).
export {
  libraryNamePattern, labelPattern, documentTypes, libraryKinds, promptEntrySchema, documentEntrySchema,
  type LibraryEntry, type PromptEntry, type DocumentEntry, type DocumentType, type LibraryKind, type PromptParameters, type PromptExample,
} from './schema.js';
export type { LibraryVersionRow, LibraryVersionSummary, LibraryLabelRow, LibraryEntryView } from './types.js';
export { validateLibraryText, parseLibraryFile, libraryContentHash, libraryFileExtensions, type LibraryValidation, type LibraryParseOptions } from './load.js';
export {
  parseLibraryRef, libraryRefProblem, formatLibraryRef, resolveLibraryRef, resolveLibraryRefs, defaultLabel,
  type LibraryRef, type ResolvedLibraryRef,
} from './refs.js';
export { deployLibraryEntry, moveLibraryLabel, getLibraryVersion, getLibraryVersionById, listLibrary, type LibraryDeployInput, type LibraryDeployResult } from './store.js';
export { diffLibraryVersions, type LibraryDiff, type LibraryDiffEntry } from './diff.js';
export {
  renderPrompt, documentVariables, referencedDocuments,
  type RenderedPrompt, type PromptMessage, type PromptVersionLike, type DocumentVariable,
} from './render.js';
export { renderTemplate } from './template.js';
export { searchDocuments, embedDocuments, hasPgvector, type SearchOptions, type SearchResult, type EmbedFn } from './search.js';
export { loadLibraryFolder, type LoadLibraryOptions, type LibraryLoadReport } from './folder.js';
export {
  registerLibraryRoutes, libraryEntrySchema, libraryVersionSchema, libraryVersionSummarySchema, libraryLabelSchema, libraryLabelMovedSchema,
  libraryDiffSchema, libraryDeployResultSchema, librarySearchResultSchema, type LibraryRouteDeps,
} from './routes.js';
