/**
 * Reply -> Discord messages and forms. Pure: what to send, never how. Texts are plain catalog texts; no
 * message ever pings anyone (the sender sets `allowed_mentions` to nothing).
 *
 * - Only the current prompt (the last reply that asks something and shows no secret) gets components,
 *   bound to the step's token: a text or secret prompt gets a "Continue" button that opens its form, each
 *   choice a button; a reply offering to continue privately gets a "Continue in my DMs" button.
 * - A secret prompt says that the answer goes into the private form, never into a message.
 * - A picture (the 2FA QR code) is an attachment of its message.
 */
import {
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIComponentInMessageActionRow,
  type APILabelComponent,
  type APIModalInteractionResponseCallbackData,
  ButtonStyle,
  ComponentType,
  TextInputStyle,
} from 'discord.js';
import { isMessageKey, type Locale, t } from '../../src/catalog/catalog.ts';
import type { Reply } from '../../src/core/reply.ts';
import { customId } from './custom-id.ts';

/** Discord's limits (https://discord.com/developers/docs/components/reference). */
export const LIMITS = {
  content: 2000,
  buttonLabel: 80,
  buttonsPerRow: 5,
  rows: 5,
  modalTitle: 45,
  label: 45,
  labelDescription: 100,
  textInput: 4000,
} as const;

/** The custom ids of a form's text inputs: the answer, and the repeat when both share one form. */
export const FORM_FIELDS = ['answer', 'repeat'] as const;

export interface OutgoingFile {
  readonly name: string;
  readonly data: Buffer;
  readonly description?: string;
}

/** One Discord message, before it is sent. */
export interface OutgoingMessage {
  readonly content: string;
  readonly components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  readonly files: OutgoingFile[];
}

export interface RenderContext {
  readonly locale: Locale;
  /** The step token the components are bound to; without one no component is drawn. */
  readonly token: string | null;
  /** Typing a plain message answers a text prompt here (the conversation's own DM). */
  readonly typingAnswers: boolean;
  /** Draw "Continue in my DMs" for a reply that offers it (never in the DM itself). Default true. */
  readonly offerPrivately?: boolean;
}

/** The question the replies leave waiting: the engine's rule (the last prompt that shows no secret). */
export function promptOf(replies: readonly Reply[]): Reply | null {
  return replies.findLast((reply) => reply.input !== undefined && !reply.sensitive) ?? null;
}

/** The command of the task offered to continue privately, if a reply offers it. */
export function privateCommandOf(replies: readonly Reply[]): string | undefined {
  const offer = replies.findLast((reply) => reply.continuePrivately);
  const command = offer?.params?.command;
  return typeof command === 'string' && command !== '' ? command : undefined;
}

/** The messages that show the replies of one turn, in order. Replies with unknown keys are left out. */
export function planMessages(replies: readonly Reply[], context: RenderContext): OutgoingMessage[] {
  const known = replies.filter((reply) => isMessageKey(reply.key));
  const prompt = promptOf(known);
  const offer =
    context.offerPrivately === false
      ? undefined
      : known.findLast((reply) => reply.continuePrivately && privateCommandOf([reply]));
  const messages: OutgoingMessage[] = [];
  for (const reply of known) {
    const isPrompt = reply === prompt;
    let text = t(context.locale, reply.key, reply.params);
    if (isPrompt && reply.input === 'secret') text += `\n\n${t(context.locale, 'discord.secretHint')}`;
    if (isPrompt && reply.input === 'text') {
      text += `\n\n${t(context.locale, context.typingAnswers ? 'discord.textHintDm' : 'discord.textHint')}`;
    }
    const buttons: APIButtonComponentWithCustomId[] = [];
    const token = context.token;
    if (token !== null && isPrompt) {
      if (reply.input === 'secret' || reply.input === 'text') {
        buttons.push(
          button(customId('f', token), t(context.locale, 'discord.formButton'), ButtonStyle.Primary),
        );
      }
      if (reply.input !== 'none') {
        (reply.choices ?? []).forEach((choice, index) => {
          if (!isMessageKey(choice.label)) return;
          buttons.push(
            button(
              customId('c', token, index),
              t(context.locale, choice.label, choice.params),
              ButtonStyle.Secondary,
            ),
          );
        });
      }
    }
    if (token !== null && reply === offer) {
      buttons.push(
        button(customId('dm', token), t(context.locale, 'discord.continueInDm'), ButtonStyle.Primary),
      );
    }
    const files: OutgoingFile[] = reply.image
      ? [
          {
            name: 'lockstep-qr-code.png',
            data: Buffer.from(reply.image.base64, 'base64'),
            ...(isMessageKey(reply.image.alt)
              ? { description: t(context.locale, reply.image.alt).slice(0, 1024) }
              : {}),
          },
        ]
      : [];
    const chunks = splitText(text, LIMITS.content);
    chunks.forEach((content, index) => {
      messages.push({
        content,
        // The picture goes with the first part, the buttons under the last one, where the user reads last.
        files: index === 0 ? files : [],
        components: index === chunks.length - 1 ? rows(buttons) : [],
      });
    });
  }
  return messages;
}

/**
 * The form of a text or secret prompt. A new password whose repeat comes next (`field.repeatsNext`) asks
 * both in one form.
 */
export function planForm(
  prompt: Reply,
  token: string,
  locale: Locale,
): APIModalInteractionResponseCallbackData {
  const field = prompt.field;
  const label =
    field && isMessageKey(field.label)
      ? t(locale, field.label)
      : t(locale, prompt.input === 'secret' ? 'discord.field.secret' : 'discord.field.answer');
  const maxLength = Math.max(1, Math.min(field?.maxLength ?? LIMITS.textInput, LIMITS.textInput));
  const secret = prompt.input === 'secret';
  const inputs: APILabelComponent[] = [textField(FORM_FIELDS[0], label, maxLength, secret, locale)];
  if (secret && field?.repeatsNext) {
    inputs.push(textField(FORM_FIELDS[1], t(locale, 'discord.field.repeat'), maxLength, secret, locale));
  }
  return {
    custom_id: customId('m', token),
    title: truncate(label || t(locale, 'discord.modalTitle'), LIMITS.modalTitle),
    components: inputs,
  };
}

function textField(
  id: string,
  label: string,
  maxLength: number,
  secret: boolean,
  locale: Locale,
): APILabelComponent {
  return {
    type: ComponentType.Label,
    label: truncate(label, LIMITS.label),
    ...(secret
      ? { description: truncate(t(locale, 'discord.field.secretNote'), LIMITS.labelDescription) }
      : {}),
    component: {
      type: ComponentType.TextInput,
      custom_id: id,
      style: TextInputStyle.Short,
      min_length: 1,
      max_length: maxLength,
      required: true,
    },
  };
}

function button(id: string, label: string, style: ButtonStyle.Primary | ButtonStyle.Secondary) {
  return {
    type: ComponentType.Button,
    custom_id: id,
    label: truncate(label, LIMITS.buttonLabel),
    style,
  } as const satisfies APIButtonComponentWithCustomId;
}

/** Buttons packed into rows; what does not fit Discord's 5 x 5 is left out (the menu stays reachable). */
function rows(
  buttons: readonly APIButtonComponentWithCustomId[],
): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  const out: APIActionRowComponent<APIComponentInMessageActionRow>[] = [];
  for (let i = 0; i < buttons.length && out.length < LIMITS.rows; i += LIMITS.buttonsPerRow) {
    out.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + LIMITS.buttonsPerRow) });
  }
  return out;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Splits a text longer than Discord allows, preferring line breaks. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf('\n', max);
    const at = cut > 0 ? cut : max;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  parts.push(rest);
  return parts;
}
