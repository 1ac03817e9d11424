import type { PersonId } from '../domain/persons.js';

/** The associated data that binds a sealed number to its person and field. */
export const NUMBER_FIELD = 'my_number';

export function numberRecordId(personId: PersonId): string {
  return `person/${personId}`;
}
