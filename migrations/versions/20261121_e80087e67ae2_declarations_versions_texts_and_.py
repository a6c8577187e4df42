"""declarations, versions, texts and signatures

Revision ID: e80087e67ae2
Revises: dfb80ab268cc
Create Date: 2026-11-21 17:43:46.251194

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e80087e67ae2'
down_revision = 'dfb80ab268cc'
branch_labels = None
depends_on = None


def upgrade():
    # reviewed by hand
    op.create_table('declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('open_on', sa.Date(), nullable=False),
    sa.Column('close_on', sa.Date(), nullable=True),
    sa.Column('target', sa.Integer(), nullable=True),
    sa.Column('signer_kinds', sa.String(length=12), nullable=False),
    sa.Column('asked_fields', sa.JSON(), nullable=False),
    sa.Column('list_publicly', sa.Boolean(), nullable=False),
    sa.Column('moderate_individuals', sa.Boolean(), nullable=False),
    sa.Column('ask_consent', sa.Boolean(), nullable=False),
    sa.Column('default_language', sa.String(length=5), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_declaration_campaign_id_campaign'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration')),
    sa.UniqueConstraint('slug', name=op.f('uq_declaration_slug'))
    )
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('declaration_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_declaration_version_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_declaration_version_declaration_id_declaration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_version')),
    sa.UniqueConstraint('declaration_id', 'number', name='uq_declaration_version_number')
    )
    with op.batch_alter_table('declaration_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_version_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('declaration_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('consent_label', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['declaration_version.id'], name=op.f('fk_declaration_text_version_id_declaration_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_text')),
    sa.UniqueConstraint('version_id', 'language', name='uq_declaration_text_language')
    )
    with op.batch_alter_table('declaration_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_text_version_id'), ['version_id'], unique=False)

    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('signing_as', sa.String(length=12), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('job_title', sa.String(length=120), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('list_publicly', sa.Boolean(), nullable=False),
    sa.Column('consent_updates', sa.Boolean(), nullable=False),
    sa.Column('consent_wording', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmations_sent', sa.Integer(), nullable=False),
    sa.Column('moderation', sa.String(length=12), nullable=False),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderation_reason', sa.String(length=500), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('match_status', sa.String(length=10), nullable=False),
    sa.Column('suggested_organisation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_signature_declaration_id_declaration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user_account.id'], name=op.f('fk_signature_moderated_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_signature_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_signature_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggested_organisation_id'], ['organisation.id'], name=op.f('fk_signature_suggested_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['declaration_version.id'], name=op.f('fk_signature_version_id_declaration_version'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature')),
    sa.UniqueConstraint('declaration_id', 'email_key', name='uq_signature_declaration_email')
    )
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.create_index('ix_signature_count', ['declaration_id', 'status', 'moderation'], unique=False)
        batch_op.create_index('ix_signature_match', ['match_status', 'declaration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signature_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signature_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signature_version_id'), ['version_id'], unique=False)




def downgrade():
    # reviewed by hand
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signature_version_id'))
        batch_op.drop_index(batch_op.f('ix_signature_person_id'))
        batch_op.drop_index(batch_op.f('ix_signature_organisation_id'))
        batch_op.drop_index('ix_signature_match')
        batch_op.drop_index('ix_signature_count')

    op.drop_table('signature')
    with op.batch_alter_table('declaration_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_text_version_id'))

    op.drop_table('declaration_text')
    with op.batch_alter_table('declaration_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_version_declaration_id'))

    op.drop_table('declaration_version')
    with op.batch_alter_table('declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_campaign_id'))

    op.drop_table('declaration')

