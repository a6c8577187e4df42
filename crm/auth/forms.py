"""Login, password reset and user administration forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from crm.auth.roles import ROLE_LABELS
from crm.auth.services import MIN_PASSWORD_LENGTH
from crm.formutil import choices


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField("Email me a reset link")


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
    )
    submit = SubmitField("Set password")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField("Role", choices=choices((str(k), v) for k, v in ROLE_LABELS.items()))
    organisation_id = SelectField(
        "Organisation (association and member users)", coerce=int, validators=[Optional()]
    )
    password = PasswordField(
        "Password", validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class DeleteForm(FlaskForm):
    submit = SubmitField("Delete")
