import { unsupported } from './unsupported.js';

/**
 * What no identity provider offers through tac: managing its users and tac's guest accounts,
 * which belong to the provider's own console. One line each, naming what to use instead.
 */
export abstract class ProviderBackendBase {
  /** The provider's name in messages ("okta"). */
  protected abstract readonly providerName: string;
  /** Where to do it instead ("use the Okta Admin Console"). */
  protected abstract readonly consoleHint: string;

  protected notOffered(what: string, command: string, instead = this.consoleHint): Promise<never> {
    return Promise.reject(unsupported(this.providerName, what, command, instead));
  }

  addUser(): Promise<never> {
    return this.notOffered('adding users', 'tac users add');
  }
  importUsers(): Promise<never> {
    return this.notOffered('importing users', 'tac users import');
  }
  existingEmails(): Promise<never> {
    return this.notOffered('importing users', 'tac users import');
  }
  unlockUser(): Promise<never> {
    return this.notOffered('unlocking users', 'tac users unlock');
  }
  setUserDisabled(): Promise<never> {
    return this.notOffered('disabling or enabling users', 'tac users disable/enable');
  }
  deleteUser(): Promise<never> {
    return this.notOffered('deleting users', 'tac users delete');
  }
  createGuest(): Promise<never> {
    return this.notOffered('guest accounts', 'tac guests create');
  }
  importGuests(): Promise<never> {
    return this.notOffered('guest accounts', 'tac guests import');
  }
}
