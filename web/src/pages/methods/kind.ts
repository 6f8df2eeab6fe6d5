// A kind of revisioned document — recipes, SOPs — as the method pages see
// it: one list page (MethodList) and one detail page (MethodDetail) serve
// every kind, given a MethodKind that names what differs.
import type { ReactNode } from 'react';
import type { Recipe, RecipeFields, SOP, SopFields } from '../../api/types';

/** What a client writes of a revision (its draft's fields). */
export type MethodFields = RecipeFields | SopFields;

/** A revision of a revisioned document. */
export type MethodRevision = Recipe | SOP;

/** The API path of a kind's collection; the rest of its routes follow from it. */
export type MethodBase = '/api/lims/recipes' | '/api/lims/sops';

/** What a kind's form hands to save: the API's writable fields. */
export type MethodFormProps<T, F> = {
  value?: T;
  onSave: (fields: F) => Promise<unknown>;
  onCancel: () => void;
};

export interface MethodKind<T extends MethodRevision, F extends MethodFields> {
  /** The prefix of test ids and element ids: recipe-row, sop-search. */
  key: 'recipe' | 'sop';
  base: MethodBase;
  /** The UI route: /recipes, /recipes/:id. */
  route: string;
  /** The page's heading and back link: Recipes. */
  title: string;
  /** One and many, in a sentence: recipe / recipes, SOP / SOPs. */
  noun: string;
  nouns: string;
  searchPlaceholder: string;
  draftPermission: string;
  /** The revision in the approve and retire dialogs: "IV Sweep rev. 2". */
  label: (x: T) => string;
  /** The detail page's heading (before rev. and status). */
  heading: (x: T) => ReactNode;
  /** The detail page's content when not editing. */
  view: (x: T) => ReactNode;
  /** The create and edit form. */
  form: (props: MethodFormProps<T, F>) => ReactNode;
  /** "— this revision can no longer change; start a new version to …" */
  changeHint: string;
  /** The retire dialog's explanation. */
  retireText: string;
}
