/**
 * The local cloud's IAM, as the emulators use it: principals for the
 * resources that act (functions, state machines, pipes, rule targets),
 * credentials for the ones that sign SDK calls, and one `check` for every
 * call and hop. Emulators take an {@link IamGate}; tests of one emulator can
 * leave it out.
 */
import { UnsupportedFeatureError } from '../errors';
import type { LocalResource } from '../resources';
import { IamAuthorizer, type IamDenial, type IamMode, type IamRequest } from './authorizer';
import { PolicyModel } from './policy-model';
import { CredentialRegistry, roleSession, servicePrincipal, type IamPrincipal, type MintedCredentials } from './principals';

/** What an emulator needs of IAM. */
export interface IamGate {
  /** Resolves with the denial when the call must fail (strict mode); `undefined` when it may go on. */
  check(request: IamRequest): Promise<IamDenial | undefined>;
  /**
   * The principal of a resource acting with a role of the template (a
   * function's execution role, a state machine's, a pipe's).
   *
   * @throws {UnsupportedFeatureError} when the role is not one of the
   *   template's (its policies cannot be known locally).
   */
  roleSession(roleArn: string, sessionName: string, what: string, owner: { readonly logicalId: string; readonly type: string; readonly property: string }): IamPrincipal;
  /** An AWS service acting for itself (`events.amazonaws.com`). */
  service(name: string): IamPrincipal;
}

/** Options of {@link LocalIam.create}. */
export interface LocalIamOptions {
  /** @default 'strict' */
  readonly mode?: IamMode;
  /** Hears every denial; the local cloud prints it. */
  readonly onDenied?: (denial: IamDenial) => void;
}

/** IAM for one local cloud: the model of the template's policies, the evaluator, the credentials. */
export class LocalIam implements IamGate {
  public readonly credentials = new CredentialRegistry();

  private constructor(
    public readonly model: PolicyModel,
    public readonly authorizer: IamAuthorizer,
  ) {}

  /**
   * Reads the template's IAM (validated as IAM would at deploy time).
   *
   * @throws {UnsupportedFeatureError} for anything the local evaluator cannot evaluate.
   */
  public static create(resources: readonly LocalResource[], options: LocalIamOptions = {}): LocalIam {
    const model = PolicyModel.fromResources(resources);
    return new LocalIam(model, new IamAuthorizer(model, options));
  }

  public get mode(): IamMode {
    return this.authorizer.mode;
  }

  public check(request: IamRequest): Promise<IamDenial | undefined> {
    return this.authorizer.check(request);
  }

  public roleSession(roleArn: string, sessionName: string, what: string, owner: { readonly logicalId: string; readonly type: string; readonly property: string }): IamPrincipal {
    const role = this.model.role(roleArn);
    if (!role) {
      throw new UnsupportedFeatureError(owner.logicalId, owner.type, owner.property, `${roleArn} is not a role of this template, so the local IAM cannot know its policies`);
    }
    return roleSession(role, sessionName, what);
  }

  public service(name: string): IamPrincipal {
    return servicePrincipal(name);
  }

  /** Credentials that sign as this principal (the local AWS endpoint and the DynamoDB proxy recognise them). */
  public credentialsFor(principal: IamPrincipal): MintedCredentials {
    return this.credentials.mint(principal);
  }
}
