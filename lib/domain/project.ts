/**
 * What a project id may look like, for configuration and request paths alike: Huawei's are 32
 * hex digits, Keystone's may carry dashes or underscores. No dots, slashes or encodings.
 */
export const PROJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const PROJECT_ID_RULE = 'must be 1 to 64 letters, digits, dashes or underscores';

export function isProjectId(value: string | undefined): value is string {
  return value !== undefined && PROJECT_ID_PATTERN.test(value);
}
