import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../../common/node';

export enum ConnectionStatus {
  REQUESTED = 'REQUESTED',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  WITHDRAWN = 'WITHDRAWN',
}
registerEnumType(ConnectionStatus, {
  name: 'ConnectionStatus',
  description: 'Where a contact exchange stands. A block shows, to both members, as what it looks like: DECLINED for a request the blocker had received and not answered, WITHDRAWN for anything else (blocks made before this rule show DECLINED): it reveals nothing.',
  valuesConfig: {
    REQUESTED: { description: 'Waiting for the other member.' },
    ACCEPTED: { description: 'Both said yes; contact details show while both hold CONTACT_SHARING consent and the group\'s peer-contact policy allows it.' },
    DECLINED: { description: 'Not accepted.' },
    WITHDRAWN: { description: 'Withdrawn by either member.' },
  },
});

export enum ConnectionDirection {
  SENT = 'SENT',
  RECEIVED = 'RECEIVED',
}
registerEnumType(ConnectionDirection, {
  name: 'ConnectionDirection',
  description: 'Whether you asked or were asked.',
  valuesConfig: { SENT: { description: 'You asked.' }, RECEIVED: { description: 'You were asked.' } },
});

export enum GroupEventKind {
  OUTING = 'OUTING',
  REUNION = 'REUNION',
  ALUMNI_CHECK_IN = 'ALUMNI_CHECK_IN',
}
registerEnumType(GroupEventKind, {
  name: 'GroupEventKind',
  description: 'What kind of gathering.',
  valuesConfig: {
    OUTING: { description: 'An outing.' },
    REUNION: { description: 'A reunion.' },
    ALUMNI_CHECK_IN: { description: 'An alumni check-in.' },
  },
});

export enum EventAudience {
  MEMBERS = 'MEMBERS',
  ALUMNI = 'ALUMNI',
  BOTH = 'BOTH',
}
registerEnumType(EventAudience, {
  name: 'EventAudience',
  description: 'Who is invited.',
  valuesConfig: {
    MEMBERS: { description: 'Current members (ACTIVE or ON_HOLD).' },
    ALUMNI: { description: 'Members who COMPLETED the group.' },
    BOTH: { description: 'Both.' },
  },
});

export enum RsvpResponse {
  GOING = 'GOING',
  MAYBE = 'MAYBE',
  NOT_GOING = 'NOT_GOING',
}
registerEnumType(RsvpResponse, {
  name: 'RsvpResponse',
  description: 'An invitee\'s answer.',
  valuesConfig: { GOING: { description: 'Going.' }, MAYBE: { description: 'Maybe.' }, NOT_GOING: { description: 'Not going.' } },
});

@ObjectType({ simpleResolvers: true, description: 'An opted-in alumnus of a group, as the directory shows them.' })
export class AlumniEntry {
  membershipId: string;
  clientId: string;

  @Field({ description: 'Display name (preferred first name + last initial).' })
  displayName: string;
}

@ObjectType({ simpleResolvers: true, description: 'Contact details the other member chose to share. Present only while the connection is accepted and both hold CONTACT_SHARING consent.' })
export class ContactCard {
  @Field(() => String, { nullable: true, description: 'Email, if they share it.' })
  email: string | null;

  @Field(() => String, { nullable: true, description: 'Phone, if they share it.' })
  phone: string | null;

  @Field(() => String, { nullable: true, description: 'A free-text handle they chose.' })
  handle: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'What you share with accepted connections (when you hold CONTACT_SHARING consent).' })
export class ContactPreferences {
  @Field({ description: 'Share your email.' })
  shareEmail: boolean;

  @Field({ description: 'Share your phone.' })
  sharePhone: boolean;

  @Field(() => String, { nullable: true, description: 'A free-text handle to share (up to 100 characters).' })
  handle: string | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'A contact exchange between two members who share (or shared) a group, by double opt-in.' })
export class Connection implements Node {
  id: string;
  groupId: string;
  requesterClientId: string;
  recipientClientId: string;
  otherClientId: string;
  rawStatus: string;
  /** Not (yet) shown to its recipient (`held_from_recipient`): nothing about it is recorded about them. */
  heldFromRecipient: boolean;

  @Field(() => ConnectionStatus, { description: 'Status as you may see it.' })
  status: ConnectionStatus;

  @Field(() => ConnectionDirection, { description: 'Whether you asked or were asked.' })
  direction: ConnectionDirection;

  @Field({ description: 'The other member\'s display name.' })
  otherDisplayName: string;

  @Field(() => String, { nullable: true, description: 'The message sent with the request.' })
  message: string | null;

  @Field({ description: 'When it was requested.' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it was answered.' })
  respondedAt: Date | null;
}

@ObjectType({ simpleResolvers: true, implements: Node, description: 'An outing, reunion or alumni check-in of a group, with RSVPs.' })
export class GroupEvent implements Node {
  id: string;
  groupId: string;
  createdByStaffId: string;

  @Field(() => GroupEventKind, { description: 'What kind.' })
  kind: GroupEventKind;

  @Field(() => EventAudience, { description: 'Who is invited.' })
  audience: EventAudience;

  @Field({ description: 'Title.' })
  title: string;

  @Field(() => String, { nullable: true, description: 'Details.' })
  description: string | null;

  @Field({ description: 'Start.' })
  startsAt: Date;

  @Field(() => Date, { nullable: true, description: 'End.' })
  endsAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Where.' })
  location: string | null;

  @Field(() => String, { nullable: true, description: 'Video link, for online gatherings.' })
  videoLink: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'How many have answered what.' })
export class RsvpCounts {
  @Field(() => Int, { description: 'Going, among those still invited (an answer from someone who has since left the group no longer counts). Staff count every invitee; a member counts themself, ACTIVE members holding the group agreement (as `attendees` names them), and alumni in the directory when such alumni are named to them (a member who sees peers, an alumnus in the directory).' })
  going: number;

  @Field(() => Int, { description: 'Maybe, counted as `going` is.' })
  maybe: number;
}
