/** @module resources/tag — a resource tag (AddTags, ListTags, Create* `Tags`). */

export interface Tag {
  Key: string;
  Value: string;
}
