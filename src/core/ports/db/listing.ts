/**
 * A place in a listing ordered by a time, newest first, then by id: the
 * time as Postgres holds it (to the microsecond, so a place never falls
 * between two rows of one millisecond) and the id.
 */
export interface ListingPosition {
  at: string;
  id: string;
}
