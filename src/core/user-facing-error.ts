/**
 * An error whose message is written for the person who asked (a fan, not a developer): adapters show
 * it as it is. They tell it from a fault of ours by its type, never by its `name`, so renaming a
 * subclass cannot turn a helpful sentence into a generic "Oops".
 *
 * It lives in core, below every layer that throws one, because core's decode errors are such
 * sentences too. `src/services/errors.ts` gathers the subclasses the services throw.
 */
export class UserFacingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
