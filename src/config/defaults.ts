/** Every default in one place. */
import { FIELDS, type FieldName } from '../aggregate/fields.js'

export const DEFAULTS = {
  fields: FIELDS as readonly FieldName[],
  /** Days in UTC unless --tz names a zone. */
  zone: undefined as string | undefined,
  /** Destination ports listed by `inspect`. */
  topPorts: 10
}
