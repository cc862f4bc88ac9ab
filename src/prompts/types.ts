import type { DocumentType, LibraryEntry, LibraryKind } from './schema.js';

/** One immutable version of a library entry. */
export interface LibraryVersionRow {
  /** `support/reply:ab12cd34ef56`: the name and the start of the content hash. */
  id: string;
  name: string;
  kind: LibraryKind;
  number: number;
  content_hash: string;
  content: LibraryEntry;
  source: string;
  source_name: string | null;
  created_by: string;
  created_at: Date;
}

export type LibraryVersionSummary = Omit<LibraryVersionRow, 'content' | 'source'>;

/** Where a label points. */
export interface LibraryLabelRow {
  name: string;
  label: string;
  version_id: string;
  version_number: number;
  moved_by: string;
  moved_at: Date;
}

/** One library entry with its versions (newest first) and labels. */
export interface LibraryEntryView {
  name: string;
  kind: LibraryKind;
  /** The latest version's description (prompts) or title (documents). */
  summary: string;
  /** Documents only: the latest version's type. */
  type: DocumentType | null;
  latest_version_id: string | null;
  created_at: Date;
  updated_at: Date;
  versions: LibraryVersionSummary[];
  labels: LibraryLabelRow[];
}
